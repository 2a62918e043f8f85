package org.sparktf.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Unique;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.QueueDequeue;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * The gradients of {@link ReplicatedTraining}: dense for ordinary variables, and for each table of
 * the {@link SparseLookup}s, the gradient with respect to its looked-up rows (never the gradient of
 * the gather, which TensorFlow's C++ gradient makes a dense tensor of the table's size), as (unique
 * ids, summed rows) pairs built on the worker.
 */
final class SparseUpdates {
  private final SparseOptimizer optimizer;
  private final List<GradAndVar<?>> dense = new ArrayList<>();
  private final List<Table> tables = new ArrayList<>();
  private final List<ShardedTable> sharded = new ArrayList<>();

  /** One table's gradient: its unique ids and, for each, the sum of the rows' gradients. */
  record Table(Variable<TFloat32> variable, Operand<TInt64> ids, Operand<TFloat32> gradient) {}

  SparseUpdates(
      Graph graph,
      Ops local,
      SparseOptimizer optimizer,
      Operand<?> loss,
      List<SparseLookup> lookups) {
    this(graph, local, optimizer, loss, lookups, op -> true);
  }

  /**
   * As {@link #SparseUpdates(Graph, Ops, SparseOptimizer, Operand, List)}, with dense gradients
   * only for the graph's variables that {@code trainable} accepts.
   */
  SparseUpdates(
      Graph graph,
      Ops local,
      SparseOptimizer optimizer,
      Operand<?> loss,
      List<SparseLookup> lookups,
      Predicate<Operation> trainable) {
    this.optimizer = optimizer;
    Map<String, List<SparseLookup>> byTable = new LinkedHashMap<>();
    Set<String> tableVariables = new HashSet<>();
    for (SparseLookup lookup : lookups) {
      byTable.computeIfAbsent(lookup.sharded().name(), t -> new ArrayList<>()).add(lookup);
      lookup.sharded().shards().forEach(shard -> tableVariables.add(shard.op().name()));
    }
    List<Output<?>> variables = new ArrayList<>();
    graph
        .operations()
        .forEachRemaining(
            op -> {
              if (isVariable(op) && !tableVariables.contains(op.name()) && trainable.test(op)) {
                variables.add(op.output(0));
              }
            });
    List<Output<?>> targets = new ArrayList<>(variables);
    lookups.forEach(l -> targets.add(l.rows().asOutput()));
    Output<?>[] gradients;
    try {
      gradients = graph.addGradients(loss.asOutput(), targets.toArray(new Output<?>[0]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot compute the gradients for sparse training: "
              + e.getMessage()
              + "; the loss must depend on every variable and on the rows of every lookup",
          e);
    }
    for (int i = 0; i < variables.size(); i++) {
      if (gradients[i] != null) {
        dense.add(gradAndVar(gradients[i], variables.get(i)));
      }
    }
    Map<SparseLookup, Output<?>> rowGradients = new LinkedHashMap<>();
    for (int i = 0; i < lookups.size(); i++) {
      Output<?> gradient = gradients[variables.size() + i];
      if (gradient == null) {
        throw new IllegalArgumentException(
            "Invalid sparse lookup of "
                + lookups.get(i).sharded().name()
                + ": the loss does not depend on its rows");
      }
      rowGradients.put(lookups.get(i), gradient);
    }
    for (List<SparseLookup> group : byTable.values()) {
      ShardedTable table = group.get(0).sharded();
      List<Table> perLookup = new ArrayList<>();
      for (SparseLookup lookup : group) {
        @SuppressWarnings("unchecked")
        Operand<TFloat32> g = (Operand<TFloat32>) rowGradients.get(lookup);
        // The lookup's own distinct ids when it gathered only those: one Unique for both.
        Unique<TInt64, TInt32> unique = lookup.distinctIds(local);
        perLookup.add(
            sumByIndex(
                local, table.shards().get(0), unique, local.reshape(g, rowShape(local, table))));
      }
      Table summed =
          perLookup.size() == 1
              ? perLookup.get(0)
              : sumDuplicates(
                  local,
                  table.shards().get(0),
                  local.concat(perLookup.stream().map(Table::ids).toList(), local.constant(0)),
                  local.concat(
                      perLookup.stream().map(Table::gradient).toList(), local.constant(0)));
      if (table.numShards() == 1) {
        tables.add(summed);
      } else {
        sharded.add(table);
        tables.addAll(partition(local, table, summed.ids(), summed.gradient()));
      }
    }
  }

  /**
   * A sharded table's gradient split by owning shard, each part with the ids' rows within their
   * shard, so that every later step (the apply, the synchronous queues) treats a shard as a table.
   */
  private static List<Table> partition(
      Ops local, ShardedTable table, Operand<TInt64> ids, Operand<TFloat32> gradient) {
    int k = table.numShards();
    Operand<TInt32> shard = table.shardOf(local, ids);
    Operand<TInt64> inShard = table.rowInShard(local, ids, shard);
    var shardIds = local.dynamicPartition(inShard, shard, (long) k).outputs();
    var shardRows = local.dynamicPartition(gradient, shard, (long) k).outputs();
    List<Table> parts = new ArrayList<>();
    for (int s = 0; s < k; s++) {
      parts.add(new Table(table.shards().get(s), shardIds.get(s), shardRows.get(s)));
    }
    return parts;
  }

  /** The tables of more than one shard, for the saver that writes them as logical tables. */
  List<ShardedTable> sharded() {
    return sharded;
  }

  /** The gradients of the variables that are no table, for the dense optimizer. */
  List<GradAndVar<?>> dense() {
    return dense;
  }

  /** The tables' gradients, duplicates summed. */
  List<Table> tables() {
    return tables;
  }

  /** Applies each table's gradient on the table's device. */
  List<Op> apply(Ops tf, List<Table> gradients) {
    return apply(tf, gradients, new HashMap<>());
  }

  /** As {@link #apply(Ops, List)}, the slot variables shared through {@code slots} (by name). */
  List<Op> apply(Ops tf, List<Table> gradients, Map<String, Variable<TFloat32>> slots) {
    List<Op> applies = new ArrayList<>();
    for (Table t : gradients) {
      Ops onTable = tf.withDevice(SparseLookup.deviceOf((GraphOperation) t.variable().op()));
      applies.add(optimizer.apply(onTable, t.variable(), t.ids(), t.gradient(), slots));
    }
    return applies;
  }

  /**
   * Synchronous training: every worker enqueues its tables' gradients into a queue per table on the
   * table's device; the chief's update dequeues one from each of the {@code workers}, sums them by
   * id there and divides by {@code workers}, the average that the dense accumulators take.
   */
  Synchronous synchronous(Ops tf, int workers) {
    List<Op> contribute = new ArrayList<>();
    List<Table> averaged = new ArrayList<>();
    for (int i = 0; i < tables.size(); i++) {
      Table t = tables.get(i);
      Ops onTable = tf.withDevice(SparseLookup.deviceOf((GraphOperation) t.variable().op()));
      FifoQueue queue =
          onTable.io.fifoQueue(
              List.of(TInt64.class, TFloat32.class),
              FifoQueue.sharedName("sparktf_sparse_gradients_" + i));
      contribute.add(onTable.io.queueEnqueue(queue, List.of(t.ids(), t.gradient())));
      List<Operand<TInt64>> ids = new ArrayList<>();
      List<Operand<TFloat32>> rows = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        QueueDequeue one = onTable.io.queueDequeue(queue, List.of(TInt64.class, TFloat32.class));
        @SuppressWarnings("unchecked")
        Operand<TInt64> wIds = (Operand<TInt64>) one.components().get(0);
        @SuppressWarnings("unchecked")
        Operand<TFloat32> wRows = (Operand<TFloat32>) one.components().get(1);
        ids.add(wIds);
        rows.add(wRows);
      }
      Table sum =
          sumDuplicates(
              onTable,
              t.variable(),
              onTable.concat(ids, onTable.constant(0)),
              onTable.concat(rows, onTable.constant(0)));
      averaged.add(
          new Table(
              t.variable(),
              sum.ids(),
              onTable.math.div(sum.gradient(), onTable.constant((float) workers))));
    }
    return new Synchronous(contribute, averaged);
  }

  /** What a synchronous step adds: the workers' enqueues and the chief's averaged gradients. */
  record Synchronous(List<Op> contribute, List<Table> averaged) {}

  /**
   * Unique ids and the sum of the rows of each: TensorFlow's sparse apply ops apply a repeated id
   * once per occurrence, which for AdaGrad and FTRL is not the dense update.
   */
  private static Table sumDuplicates(
      Ops tf, Variable<TFloat32> table, Operand<TInt64> ids, Operand<TFloat32> rows) {
    return sumByIndex(tf, table, tf.unique(ids, tf.constant(new int[] {0}), TInt32.class), rows);
  }

  /**
   * The distinct ids of {@code unique} and the sum of the rows of each (rows in the ids' order).
   */
  private static Table sumByIndex(
      Ops tf, Variable<TFloat32> table, Unique<TInt64, TInt32> unique, Operand<TFloat32> rows) {
    Operand<TFloat32> summed =
        tf.math.unsortedSegmentSum(rows, unique.idx(), tf.size(unique.y(), TInt32.class));
    return new Table(table, unique.y(), summed);
  }

  /** [-1, table.shape[1:]...]: a row per id. */
  private static Operand<TInt64> rowShape(Ops tf, ShardedTable table) {
    long[] dims = table.shape().asArray();
    long[] shape = dims.clone();
    shape[0] = -1;
    return tf.constant(shape);
  }

  static boolean isVariable(Operation op) {
    return op.type().equals("VariableV2") || op.type().equals("Variable");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static GradAndVar<?> gradAndVar(Output<?> gradient, Output<?> variable) {
    return new GradAndVar(gradient, variable);
  }
}
