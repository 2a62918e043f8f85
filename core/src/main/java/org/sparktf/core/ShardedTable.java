package org.sparktf.core;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * One logical float32 table (an embedding table, the weight vector of a linear model over hashed
 * ids) split by rows into shards, each its own variable on its own device, for tables larger than
 * one parameter server should hold. Read it with {@link SparseLookup#gather(Ops, ShardedTable,
 * Operand)}: the ids go to the shard that owns them, each shard gathers its rows on its own device,
 * and the rows come back in the ids' order; {@link ReplicatedTraining} routes the sparse updates
 * (and keeps the optimizer's slot variables) the same way.
 *
 * <p><b>Partitioning by contiguous id ranges</b> (TensorFlow's "div" strategy): with {@code N} rows
 * and {@code k} shards, shard {@code s} holds rows {@code [offset(s), offset(s) + size(s))}, the
 * first {@code N mod k} shards one row more than the others. Ranges, not id modulo {@code k},
 * because each shard is then a contiguous slice of the logical table: a checkpoint stores the table
 * as slices of one tensor under its logical name (TensorFlow's own sliced-variable format), so it
 * restores into any other shard count, and into a single variable of the full shape, by reading
 * slices, with no re-layout. Hashed ids (Criteo's) are uniform over the rows, so ranges spread the
 * traffic as evenly as modulo would; ids whose small values are hot (a frequency-sorted vocabulary)
 * would load the first shard most, so hash them first.
 *
 * <p>With one shard the table is a single variable named {@code name}, exactly an unsharded table;
 * with {@code k > 1} the shards are named {@code name.part_0} ... {@code name.part_<k-1>}
 * (TensorFlow Python's partitioned variables use "/part_s", which TensorFlow Java's names do not
 * allow), and their slot variables, as optimizers name them, {@code name.part_<s>-<slot>}.
 * Checkpoints see one logical table either way once training installs its saver ({@link
 * ReplicatedTraining#begin}).
 */
public final class ShardedTable {
  /**
   * A shard's variable name, {@code <table>.part_<s>}, or that of a shard's slot variable as
   * optimizers name it, {@code <table>.part_<s>-<slot>}: groups table, shard, "-slot" or null.
   */
  static final java.util.regex.Pattern SHARD_NAME =
      java.util.regex.Pattern.compile("(.+)\\.part_(\\d+)(-[^/]+)?");

  /** The initial value of one shard. */
  @FunctionalInterface
  public interface Initializer {
    /**
     * @param onShard ops on the shard's device
     * @param firstRow the logical row of the shard's first row
     * @param shape the shard's shape: its rows, then the table's other dimensions
     */
    Operand<TFloat32> rows(Ops onShard, long firstRow, Shape shape);
  }

  private final String name;
  private final Shape shape;
  private final List<Variable<TFloat32>> shards;

  private ShardedTable(String name, Shape shape, List<Variable<TFloat32>> shards) {
    this.name = name;
    this.shape = shape;
    this.shards = List.copyOf(shards);
  }

  /**
   * Creates a table of {@code shape} (first dimension: the ids) in {@code shards} shards, shard
   * {@code s} on {@code device.apply(s)} (null: no device), each initialized by {@code init}.
   *
   * @param tf ops of the graph (its device is replaced by each shard's)
   */
  public static ShardedTable create(
      Ops tf,
      String name,
      Shape shape,
      int shards,
      IntFunction<DeviceSpec> device,
      Initializer init) {
    if (shape.numDimensions() < 1 || shape.hasUnknownDimension()) {
      throw new IllegalArgumentException(
          "Invalid shape for table "
              + name
              + ": "
              + shape
              + "; it needs a known shape of rank >= 1");
    }
    if (shards < 1 || shards > shape.size(0)) {
      throw new IllegalArgumentException(
          "Invalid shard count for table "
              + name
              + ": "
              + shards
              + "; it must be between 1 and the table's "
              + shape.size(0)
              + " rows");
    }
    List<Variable<TFloat32>> variables = new ArrayList<>();
    long firstRow = 0;
    for (int s = 0; s < shards; s++) {
      DeviceSpec spec = device.apply(s);
      Ops placed = spec == null ? tf : tf.withDevice(spec);
      Shape shardShape = shardShape(shape, shards, s);
      Ops named = placed.withName(shards == 1 ? name : name + ".part_" + s);
      variables.add(named.variable(init.rows(placed, firstRow, shardShape)));
      firstRow += shardShape.size(0);
    }
    // The graph's full name (under any scope of tf), the shards' without ".part_<s>".
    String fullName = variables.get(0).op().name();
    if (shards > 1) {
      fullName = fullName.substring(0, fullName.length() - ".part_0".length());
    }
    return new ShardedTable(fullName, shape, variables);
  }

  /**
   * A table in {@code shards} shards on the parameter servers, shard {@code s} on {@link
   * NodeContext#variableDevice variableDevice(firstDevice + s)}: consecutive shards go to
   * consecutive parameter-server tasks.
   */
  public static ShardedTable onParameterServers(
      NodeContext ctx,
      Ops tf,
      String name,
      Shape shape,
      int shards,
      int firstDevice,
      Initializer init) {
    return create(tf, name, shape, shards, s -> ctx.variableDevice(firstDevice + s), init);
  }

  /** An existing variable as a table of one shard. */
  static ShardedTable of(Variable<TFloat32> variable) {
    return new ShardedTable(variable.op().name(), variable.shape(), List.of(variable));
  }

  /** The default shard count: one shard per parameter-server task, or 1 without any. */
  public static int defaultShards(NodeContext ctx) {
    return Math.max(1, ctx.numPs());
  }

  /** The logical table's name: its name in checkpoints and in an unsharded graph. */
  public String name() {
    return name;
  }

  /** The logical table's shape. */
  public Shape shape() {
    return shape;
  }

  /** The number of shards. */
  public int numShards() {
    return shards.size();
  }

  /** The shards' variables, in id order. */
  public List<Variable<TFloat32>> shards() {
    return shards;
  }

  /** The first logical row of shard {@code s}. */
  public long offset(int s) {
    long rows = shape.size(0);
    int k = shards.size();
    return s * (rows / k) + Math.min(s, rows % k);
  }

  /** The shape of shard {@code s} of a table of {@code shape} in {@code shards} shards. */
  static Shape shardShape(Shape shape, int shards, int s) {
    long rows = shape.size(0);
    long[] dims = shape.asArray();
    dims[0] = rows / shards + (s < rows % shards ? 1 : 0);
    return Shape.of(dims);
  }

  /** Which shard owns each id (int32, for DynamicPartition), computed on {@code tf}'s device. */
  Operand<TInt32> shardOf(Ops tf, Operand<TInt64> ids) {
    long rows = shape.size(0);
    long k = shards.size();
    long q = rows / k;
    long r = rows % k;
    // The first r shards hold q + 1 rows, the others q: max(id / (q + 1), (id - r) / q).
    Operand<TInt64> inLong = tf.math.floorDiv(ids, tf.constant(q + 1));
    Operand<TInt64> inShort = tf.math.floorDiv(tf.math.sub(ids, tf.constant(r)), tf.constant(q));
    return tf.dtypes.cast(tf.math.maximum(inLong, inShort), TInt32.class);
  }

  /** Each id's row within its shard, given the shards from {@link #shardOf}. */
  Operand<TInt64> rowInShard(Ops tf, Operand<TInt64> ids, Operand<TInt32> shard) {
    long rows = shape.size(0);
    long k = shards.size();
    Operand<TInt64> s = tf.dtypes.cast(shard, TInt64.class);
    // offset(s) = s * q + min(s, r)
    Operand<TInt64> offset =
        tf.math.add(
            tf.math.mul(s, tf.constant(rows / k)), tf.math.minimum(s, tf.constant(rows % k)));
    return tf.math.sub(ids, offset);
  }

  @Override
  public String toString() {
    return name + shape + " in " + shards.size() + " shard(s)";
  }
}
