package org.sparktf.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.Restore;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * The saver of a graph with {@link ShardedTable}s: it writes each table's shards, and each shard's
 * slot variables ({@code <shard>-<slot>}, of the shard's shape), as slices of one tensor under the
 * logical name ({@code <table>}, {@code <table>-<slot>}), and restores them by reading their
 * slices; every other variable is saved under its own name, as TensorFlow Java's default saver
 * does.
 *
 * <p>TensorFlow's checkpoint reader assembles a tensor saved as slices when asked for all of it and
 * cuts any slice out of slices or of a whole tensor, so such a checkpoint restores into a graph
 * with another shard count, or with one variable of the full shape (a serving graph), and the
 * reverse.
 *
 * <p>It is built under the names TensorFlow Java's {@code Session.save}/{@code restore} look for
 * ({@code save/filename}, {@code save/control_dependency}, {@code save/restore_all}), so those, and
 * {@link Checkpoints}, use it.
 */
final class LogicalSaver {
  private static final String RESTORE_ALL = "save/restore_all";
  private static final String MARKER = "save/sparktf_logical_tables";

  private LogicalSaver() {}

  /** Where a variable goes in the checkpoint: its tensor name and slice spec ("" for whole). */
  private record Entry(Output<?> variable, String name, String slice) {}

  /**
   * Adds the saver for {@code tables} to {@code graph}, unless it has it already.
   *
   * @throws IllegalStateException when the graph already has another saver (a save or restore ran
   *     before the tables' saver was installed): it would write the shards under their own names
   */
  static void install(Graph graph, List<ShardedTable> tables) {
    if (tables.isEmpty() || graph.operation(MARKER) != null) {
      return;
    }
    if (graph.operation(RESTORE_ALL) != null) {
      throw new IllegalStateException(
          "Cannot checkpoint sharded tables "
              + tables
              + " as logical tables: the graph already has a saver ("
              + RESTORE_ALL
              + "); call ReplicatedTraining.begin before any save or restore");
    }
    List<Entry> entries = entries(graph, tables);
    Ops save = Ops.create(graph).withSubScope("save");
    Placeholder<TString> filename = save.withName("filename").placeholder(TString.class);
    String[] names = entries.stream().map(Entry::name).toArray(String[]::new);
    String[] slices = entries.stream().map(Entry::slice).toArray(String[]::new);
    Operand<TString> nameTensor = save.constant(NdArrays.vectorOfObjects(names));
    Operand<TString> sliceTensor = save.constant(NdArrays.vectorOfObjects(slices));
    List<Operand<?>> values = new ArrayList<>();
    List<Class<? extends TType>> types = new ArrayList<>();
    for (Entry e : entries) {
      values.add(e.variable());
      types.add(e.variable().type());
    }
    Op saveOp = save.train.save(filename, nameTensor, sliceTensor, values);
    save.withControlDependencies(List.of(saveOp)).withName("control_dependency").identity(filename);
    Restore restore = save.train.restore(filename, nameTensor, sliceTensor, types);
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      assigns.add(assign(save, entries.get(i).variable(), restore.tensors().get(i)));
    }
    save.withControlDependencies(assigns).withName("restore_all").noOp();
    save.withName("sparktf_logical_tables").noOp();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Op assign(Ops tf, Output<?> variable, Operand<?> value) {
    return tf.assign((Operand) variable, (Operand) value);
  }

  private static List<Entry> entries(Graph graph, List<ShardedTable> tables) {
    Map<String, ShardedTable> byName = new HashMap<>();
    tables.forEach(t -> byName.put(t.name(), t));
    List<Entry> entries = new ArrayList<>();
    graph
        .operations()
        .forEachRemaining(
            op -> {
              if (!op.type().equals("VariableV2")) {
                return;
              }
              Output<?> variable = op.output(0);
              Entry slice = shardSlice(byName, variable, op.name());
              entries.add(slice == null ? new Entry(variable, op.name(), "") : slice);
            });
    return entries;
  }

  /**
   * The slice for a shard ({@code <table>.part_<s>}) or a shard's slot ({@code
   * <table>.part_<s>-<slot>}, of the shard's shape) of one of the tables, saved as {@code <table>}
   * or {@code <table>-<slot>}; null for any other variable.
   */
  private static Entry shardSlice(
      Map<String, ShardedTable> tables, Output<?> variable, String name) {
    Matcher shard = ShardedTable.SHARD_NAME.matcher(name);
    if (!shard.matches()) {
      return null;
    }
    ShardedTable table = tables.get(shard.group(1));
    int s = Integer.parseInt(shard.group(2));
    if (table == null
        || s >= table.numShards()
        || !variable.shape().equals(table.shards().get(s).shape())) {
      return null;
    }
    String slot = shard.group(3) == null ? "" : shard.group(3);
    return new Entry(variable, table.name() + slot, slice(table, s, variable.shape()));
  }

  /** "dim0 dim1 ... offset,rows:-:...": shard s's rows of the full table. */
  private static String slice(ShardedTable table, int s, Shape shardShape) {
    StringBuilder spec = new StringBuilder();
    long[] full = table.shape().asArray();
    for (long d : full) {
      spec.append(d).append(' ');
    }
    spec.append(table.offset(s)).append(',').append(shardShape.size(0));
    for (int d = 1; d < full.length; d++) {
      spec.append(":-");
    }
    return spec.toString();
  }
}
