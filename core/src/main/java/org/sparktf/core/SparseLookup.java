package org.sparktf.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.DeviceSpec;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Rows of a float32 table (an embedding table, or the weight vector of a linear model over hashed
 * ids) looked up by int64 ids, for {@link ReplicatedTraining} to train with sparse updates: it
 * computes the loss's gradient with respect to the looked-up rows only, sums the rows of repeated
 * ids, and applies the sum on the parameter server that holds the table with TensorFlow's sparse
 * apply ops. Per step, only the batch's ids and their rows cross the network, in both directions,
 * never a tensor of the table's size.
 *
 * <p>The lookup runs on the table's device. Read the table only through lookups handed to {@link
 * ReplicatedTraining}: it computes no dense gradient for it, so another use of the table would not
 * be trained.
 */
public final class SparseLookup {
  private static final Pattern JOB = Pattern.compile("/job:([^/]+)");
  private static final Pattern TASK = Pattern.compile("/task:(\\d+)");

  private final Variable<TFloat32> table;
  private final Operand<TInt64> ids;
  private final Operand<TFloat32> rows;

  private SparseLookup(Variable<TFloat32> table, Operand<TInt64> ids, Operand<TFloat32> rows) {
    this.table = table;
    this.ids = ids;
    this.rows = rows;
  }

  /**
   * Gathers the rows of {@code table} (first dimension: the id) for {@code ids} of any shape; the
   * rows have shape {@code ids.shape + table.shape[1:]}.
   *
   * @param tf ops of the graph; the gather is placed on the table's device whatever its device
   */
  public static SparseLookup gather(Ops tf, Variable<TFloat32> table, Operand<TInt64> ids) {
    if (table.shape().numDimensions() < 1 || table.shape().hasUnknownDimension()) {
      throw new IllegalArgumentException(
          "Invalid table for a sparse lookup: "
              + table.op().name()
              + " has shape "
              + table.shape()
              + "; it needs a known shape of rank >= 1");
    }
    Ops onTable = tf.withDevice(deviceOf((GraphOperation) table.op()));
    return new SparseLookup(table, ids, onTable.gather(table, ids, onTable.constant(0)));
  }

  /** The looked-up rows. */
  public Operand<TFloat32> rows() {
    return rows;
  }

  /** The table the rows come from. */
  public Variable<TFloat32> table() {
    return table;
  }

  /** The ids looked up. */
  public Operand<TInt64> ids() {
    return ids;
  }

  /** The job and task of an op's device, as a spec to place other ops with it. */
  static DeviceSpec deviceOf(GraphOperation op) {
    String device = op.device();
    DeviceSpec.Builder spec = DeviceSpec.newBuilder();
    Matcher job = JOB.matcher(device);
    if (job.find()) {
      spec.job(job.group(1));
    }
    Matcher task = TASK.matcher(device);
    if (task.find()) {
      spec.task(Integer.parseInt(task.group(1)));
    }
    return spec.build();
  }
}
