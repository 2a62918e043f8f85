package org.sparktf.ml.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.sparktf.core.ShardedTable;
import org.sparktf.core.SparseLookup;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * What a {@link ModelFunction} builds with: ops for the math (on the worker's own device), the
 * named input tensors, the label, and {@link #variable} which places each variable where the
 * estimator decides (on the parameter servers in turn when training, nowhere in particular when
 * serving). {@link Layers} builds the usual layers on top of it.
 */
public final class ModelBuilder {
  private final Ops tf;
  private final Ops root;
  private final Map<String, Operand<TFloat32>> inputs;
  private final Operand<?> label;
  private final IntFunction<DeviceSpec> variableDevice;
  private final boolean training;
  private final long seed;
  private final int tableShards;
  private int variables;
  private final List<SparseLookup> lookups = new ArrayList<>();

  /** Used by the estimator, which decides where variables go; model functions receive one. */
  public ModelBuilder(
      Ops root,
      Ops tf,
      Map<String, Operand<TFloat32>> inputs,
      Operand<?> label,
      IntFunction<DeviceSpec> variableDevice,
      boolean training,
      long seed) {
    this(root, tf, inputs, label, variableDevice, training, seed, 1);
  }

  /**
   * Like the other constructor, the tables of {@link #table} split into {@code tableShards} shards
   * (see {@link ShardedTable}); the estimator passes its table-shard setting for the training graph
   * and 1 for the serving graph, which so holds each table as one variable of the full shape.
   */
  public ModelBuilder(
      Ops root,
      Ops tf,
      Map<String, Operand<TFloat32>> inputs,
      Operand<?> label,
      IntFunction<DeviceSpec> variableDevice,
      boolean training,
      long seed,
      int tableShards) {
    if (tableShards < 1) {
      throw new IllegalArgumentException(
          "Invalid table shard count: " + tableShards + "; it must be >= 1");
    }
    this.tableShards = tableShards;
    this.root = root;
    this.tf = tf;
    this.inputs = new LinkedHashMap<>(inputs);
    this.label = label;
    this.variableDevice = variableDevice;
    this.training = training;
    this.seed = seed;
  }

  /** Ops for the model's math. */
  public Ops tf() {
    return tf;
  }

  /** A named input, as float32 with the batch as first dimension. */
  public Operand<TFloat32> input(String name) {
    Operand<TFloat32> input = inputs.get(name);
    if (input == null) {
      throw new IllegalArgumentException(
          "Invalid input: " + name + "; the model's inputs are " + inputs.keySet());
    }
    return input;
  }

  /** The label as int64 (class indices); only while training. */
  public Operand<TInt64> labelAsClasses() {
    requireLabel();
    if (label.type() == TInt64.class) {
      @SuppressWarnings("unchecked")
      Operand<TInt64> classes = (Operand<TInt64>) label;
      return classes;
    }
    return tf.dtypes.cast(label, TInt64.class);
  }

  /** The label as float32 (regression targets, 0/1 labels); only while training. */
  public Operand<TFloat32> labelAsFloats() {
    requireLabel();
    if (label.type() == TFloat32.class) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> floats = (Operand<TFloat32>) label;
      return floats;
    }
    return tf.dtypes.cast(label, TFloat32.class);
  }

  /** Whether this is the training graph (dropout active, label present). */
  public boolean training() {
    return training;
  }

  /** The seed for initializers and dropout. */
  public long seed() {
    return seed + variables;
  }

  /**
   * A float32 variable named {@code name}, initialized with {@code init(ops)} — the same name in
   * the training and serving graphs, so checkpoints restore into both.
   */
  public Variable<TFloat32> variable(
      String name, java.util.function.Function<Ops, Operand<TFloat32>> init) {
    DeviceSpec device = variableDevice.apply(variables++);
    Ops placed = device == null ? root : root.withDevice(device);
    return placed.withName(name).variable(init.apply(placed));
  }

  /**
   * A variable of {@code shape} drawn from a truncated normal with standard deviation {@code
   * stddev}.
   */
  public Variable<TFloat32> normalVariable(String name, Shape shape, float stddev) {
    long s = seed();
    return variable(
        name,
        ops ->
            ops.math.mul(
                ops.random.truncatedNormal(
                    ops.constant(shape.asArray()),
                    TFloat32.class,
                    org.tensorflow.op.random.TruncatedNormal.seed(s)),
                ops.constant(stddev)));
  }

  /** A variable of {@code shape} filled with {@code value}. */
  public Variable<TFloat32> constantVariable(String name, Shape shape, float value) {
    return variable(name, ops -> ops.fill(ops.constant(shape.asArray()), ops.constant(value)));
  }

  /** How many shards {@link #table} splits a table into (1: one variable). */
  public int tableShards() {
    return tableShards;
  }

  /**
   * A table of {@code shape} (first dimension: the ids) in {@link #tableShards} shards, consecutive
   * shards on consecutive variable devices (the parameter servers in turn), each initialized by
   * {@code init}. With one shard it is a single variable named {@code name}. Read it only through
   * {@link #lookup(ShardedTable, Operand)}.
   */
  public ShardedTable table(String name, Shape shape, ShardedTable.Initializer init) {
    int shards = (int) Math.min(tableShards, shape.size(0));
    int first = variables;
    variables += shards;
    return ShardedTable.create(
        root, name, shape, shards, s -> variableDevice.apply(first + s), init);
  }

  /**
   * The rows of {@code table} for {@code ids}: each shard gathers the ids it owns where it lives.
   * In the training graph the lookup is recorded so that the estimator updates only the looked-up
   * rows, on their shard (see {@link SparseLookup}).
   */
  public Operand<TFloat32> lookup(ShardedTable table, Operand<TInt64> ids) {
    SparseLookup lookup = SparseLookup.gather(tf, table, ids);
    if (training) {
      lookups.add(lookup);
    }
    return lookup.rows();
  }

  /**
   * The rows of {@code table} for {@code ids}, gathered where the table lives. In the training
   * graph the lookup is recorded so that the estimator updates only the looked-up rows (see {@link
   * SparseLookup}); read a table only through this method.
   */
  public Operand<TFloat32> lookup(Variable<TFloat32> table, Operand<TInt64> ids) {
    SparseLookup lookup = SparseLookup.gather(root, table, ids);
    if (training) {
      lookups.add(lookup);
    }
    return lookup.rows();
  }

  /** The lookups of the training graph, for the estimator's sparse updates. */
  public List<SparseLookup> sparseLookups() {
    return List.copyOf(lookups);
  }

  private void requireLabel() {
    if (label == null) {
      throw new IllegalStateException(
          "Cannot use the label: this is the serving graph; only compute the loss when training()");
    }
  }
}
