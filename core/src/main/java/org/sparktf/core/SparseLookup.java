package org.sparktf.core;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.DeviceSpec;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.DynamicPartition;
import org.tensorflow.op.core.Unique;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Rows of a float32 table (an embedding table, or the weight vector of a linear model over hashed
 * ids) looked up by int64 ids, for {@link ReplicatedTraining} to train with sparse updates: it
 * computes the loss's gradient with respect to the looked-up rows only, sums the rows of repeated
 * ids, and applies the sum on the parameter server that holds the table with TensorFlow's sparse
 * apply ops. Per step, only the batch's distinct ids and their rows cross the network, in both
 * directions, never a tensor of the table's size.
 *
 * <p>The lookup runs on the table's device; for a {@link ShardedTable}, each shard gathers the ids
 * it owns on its own device and the rows are stitched back in the ids' order on the caller's. When
 * the table is placed on a device (a parameter server's), the caller's device first reduces the ids
 * to their distinct values ({@code Unique}), the table's device gathers each once, and the caller's
 * spreads the rows back to the ids' order and shape: batches of hashed ids repeat their frequent
 * values many times, and each repeat would otherwise cross the network twice per lookup and once
 * more per update; the update reuses the same distinct ids. A table without a device (a local
 * graph, a serving graph) is gathered directly, where the {@code Unique} would cost more than it
 * saves. Read the table only through lookups handed to {@link ReplicatedTraining}: it computes no
 * dense gradient for it, so another use of the table would not be trained.
 */
public final class SparseLookup {
  private static final Pattern JOB = Pattern.compile("/job:([^/]+)");
  private static final Pattern TASK = Pattern.compile("/task:(\\d+)");

  private final ShardedTable table;
  private final Operand<TInt64> ids;
  // The distinct ids the table's device gathered, and each id's index among them; null when the
  // lookup gathered every id (a table without a device).
  private final Unique<TInt64, TInt32> unique;
  private final Operand<TFloat32> rows;

  private SparseLookup(
      ShardedTable table,
      Operand<TInt64> ids,
      Unique<TInt64, TInt32> unique,
      Operand<TFloat32> rows) {
    this.table = table;
    this.ids = ids;
    this.unique = unique;
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
    return lookUp(tf, ShardedTable.of(table), ids);
  }

  /**
   * Gathers the rows of a sharded table for {@code ids} of any shape; the rows have shape {@code
   * ids.shape + table.shape[1:]}. Each shard gathers the ids it owns on its own device; routing the
   * ids and stitching the rows back in the ids' order runs on {@code tf}'s device (the worker's).
   */
  public static SparseLookup gather(Ops tf, ShardedTable table, Operand<TInt64> ids) {
    if (table.numShards() == 1) {
      return gather(tf, table.shards().get(0), ids);
    }
    return lookUp(tf, table, ids);
  }

  private static SparseLookup lookUp(Ops tf, ShardedTable table, Operand<TInt64> ids) {
    boolean placed =
        table.shards().stream().anyMatch(s -> !((GraphOperation) s.op()).device().isEmpty());
    if (!placed) {
      return new SparseLookup(table, ids, null, gatherRows(tf, table, ids));
    }
    Unique<TInt64, TInt32> unique = distinct(tf, ids);
    Operand<TFloat32> distinctRows = gatherRows(tf, table, unique.y());
    // Each id's row: its distinct id's, in the ids' shape (+ the table's row dimensions).
    Operand<TInt32> index = tf.reshape(unique.idx(), tf.shape(ids, TInt32.class));
    return new SparseLookup(table, ids, unique, tf.gather(distinctRows, index, tf.constant(0)));
  }

  /** The distinct values of {@code ids}, flattened, and each id's index among them. */
  private static Unique<TInt64, TInt32> distinct(Ops tf, Operand<TInt64> ids) {
    Operand<TInt64> flat = tf.reshape(ids, tf.constant(new long[] {-1}));
    return tf.unique(flat, tf.constant(new int[] {0}), TInt32.class);
  }

  /** The rows of {@code ids}, of shape ids.shape + table.shape[1:], each shard's on its device. */
  private static Operand<TFloat32> gatherRows(Ops tf, ShardedTable table, Operand<TInt64> ids) {
    if (table.numShards() == 1) {
      return gatherOnDevice(tf, table.shards().get(0), ids);
    }
    int k = table.numShards();
    Operand<TInt64> flat = tf.reshape(ids, tf.constant(new long[] {-1}));
    Operand<TInt32> shard = table.shardOf(tf, flat);
    Operand<TInt64> inShard = table.rowInShard(tf, flat, shard);
    Operand<TInt32> positions =
        tf.range(tf.constant(0), tf.size(flat, TInt32.class), tf.constant(1));
    DynamicPartition<TInt64> shardIds = tf.dynamicPartition(inShard, shard, (long) k);
    DynamicPartition<TInt32> shardPositions = tf.dynamicPartition(positions, shard, (long) k);
    List<Operand<TFloat32>> shardRows = new ArrayList<>();
    List<Operand<TInt32>> indices = new ArrayList<>();
    for (int s = 0; s < k; s++) {
      shardRows.add(gatherOnDevice(tf, table.shards().get(s), shardIds.outputs().get(s)));
      indices.add(shardPositions.outputs().get(s));
    }
    Operand<TFloat32> stitched = tf.dynamicStitch(indices, shardRows);
    // ids.shape + table.shape[1:]
    long[] rowDims = table.shape().asArray();
    Operand<TInt64> rowShape =
        tf.constant(java.util.Arrays.copyOfRange(rowDims, 1, rowDims.length));
    Operand<TInt64> shape =
        tf.concat(List.of(tf.shape(ids, TInt64.class), rowShape), tf.constant(0));
    return tf.reshape(stitched, shape);
  }

  private static Operand<TFloat32> gatherOnDevice(
      Ops tf, Variable<TFloat32> variable, Operand<TInt64> ids) {
    Ops onTable = tf.withDevice(deviceOf((GraphOperation) variable.op()));
    return onTable.gather(variable, ids, onTable.constant(0));
  }

  /** The looked-up rows. */
  public Operand<TFloat32> rows() {
    return rows;
  }

  /**
   * The table the rows come from.
   *
   * @throws IllegalStateException when the table has more than one shard: use {@link #sharded()}
   */
  public Variable<TFloat32> table() {
    if (table.numShards() != 1) {
      throw new IllegalStateException(
          "Cannot return the single variable of table "
              + table.name()
              + ": it has "
              + table.numShards()
              + " shards; use sharded().shards()");
    }
    return table.shards().get(0);
  }

  /** The (possibly single-shard) table the rows come from. */
  public ShardedTable sharded() {
    return table;
  }

  /** The ids looked up. */
  public Operand<TInt64> ids() {
    return ids;
  }

  /**
   * The looked-up ids' distinct values (flattened) and each id's index among them: those the lookup
   * gathered, or, when it gathered every id, new ones built with {@code tf}.
   */
  Unique<TInt64, TInt32> distinctIds(Ops tf) {
    return unique != null ? unique : distinct(tf, ids);
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
