package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * A table split by id ranges over several shards reads, trains and checkpoints as the one logical
 * table, in a local session (the cluster run is in {@link ReplicatedTrainingTest}).
 */
class ShardedTableTest {
  private static final int ROWS = 10;
  private static final int DIM = 3;

  @TempDir Path dir;

  /** Row r, column d holds 10 r + d. */
  private static ShardedTable numbered(
      Ops tf, int shards, java.util.function.IntFunction<DeviceSpec> device) {
    return ShardedTable.create(
        tf,
        "table",
        Shape.of(ROWS, DIM),
        shards,
        device,
        (ops, first, shape) -> {
          float[][] rows = new float[(int) shape.size(0)][DIM];
          for (int r = 0; r < rows.length; r++) {
            for (int d = 0; d < DIM; d++) {
              rows[r][d] = 10f * (first + r) + d;
            }
          }
          return ops.constant(rows);
        });
  }

  @ParameterizedTest
  @CsvSource({"1,false", "2,false", "3,false", "4,false", "10,false", "1,true", "3,true"})
  void aLookupOfIdsOnEveryShardReturnsTheirRowsInTheIdsOrder(int shards, boolean placed) {
    // Every id, repeated, out of order, in a [2, 10] batch: each shard owns some. Shards placed on
    // a device are looked up by the distinct ids, whose rows go back to the ids' order and shape.
    long[][] ids = {{9, 0, 5, 3, 3, 7, 1, 8, 2, 9}, {4, 6, 0, 0, 9, 5, 2, 7, 1, 3}};
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ShardedTable table = numbered(tf, shards, s -> placed ? SparseUpdatesTest.LOCAL_TASK : null);
      SparseLookup lookup = SparseLookup.gather(tf, table, tf.constant(ids));
      assertThat(table.numShards()).isEqualTo(shards);
      long rows = 0;
      for (int s = 0; s < shards; s++) {
        assertThat(table.offset(s)).isEqualTo(rows);
        long size = table.shards().get(s).shape().size(0);
        // Ranges of sizes differing by at most one row.
        assertThat(size).isBetween((long) ROWS / shards, (long) ROWS / shards + 1);
        rows += size;
      }
      assertThat(rows).isEqualTo(ROWS);
      try (Session session = new Session(graph)) {
        session.initialize();
        try (TFloat32 result = (TFloat32) session.runner().fetch(lookup.rows()).run().get(0)) {
          assertThat(result.shape()).isEqualTo(Shape.of(2, 10, DIM));
          for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 10; j++) {
              for (int d = 0; d < DIM; d++) {
                assertThat(result.getFloat(i, j, d))
                    .as("ids[%d][%d] = %d, dim %d", i, j, ids[i][j], d)
                    .isEqualTo(10f * ids[i][j] + d);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void anIdOutsideTheTableFailsTheLookup() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ShardedTable table = numbered(tf, 3, s -> null);
      SparseLookup lookup = SparseLookup.gather(tf, table, tf.constant(new long[] {2, ROWS}));
      try (Session session = new Session(graph)) {
        session.initialize();
        assertThatThrownBy(() -> session.runner().fetch(lookup.rows()).run().close())
            .hasMessageContaining("partitions");
      }
    }
  }

  @Test
  void invalidShardCountsAreRefused() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      assertThatThrownBy(() -> numbered(tf, 0, s -> null))
          .hasMessage(
              "Invalid shard count for table table: 0; it must be between 1 and the table's 10"
                  + " rows");
      assertThatThrownBy(() -> numbered(tf, ROWS + 1, s -> null))
          .hasMessageStartingWith("Invalid shard count for table table: 11");
    }
  }

  @ParameterizedTest
  @MethodSource("org.sparktf.core.SparseUpdatesTest#optimizers")
  void oneShardedSparseStepEqualsOneUnshardedStepWithRepeatedIds(SparseOptimizer optimizer) {
    float[][] before = SparseUpdatesTest.trainEmbedding(optimizer, false, 0, 1);
    float[][] dense = SparseUpdatesTest.trainEmbedding(optimizer, false, 1, 1);
    float[][] unsharded = SparseUpdatesTest.trainEmbedding(optimizer, true, 1, 1);
    // Shards placed on a device are looked up and updated by the distinct ids.
    for (boolean placed : new boolean[] {false, true}) {
      for (int shards : new int[] {2, 3}) {
        float[][] sharded = SparseUpdatesTest.trainEmbedding(optimizer, true, 1, shards, placed);
        for (int r = 0; r < dense.length; r++) {
          for (int d = 0; d < dense[r].length; d++) {
            assertThat(sharded[r][d])
                .as("%d shards, placed %s, row %d dim %d", shards, placed, r, d)
                .isCloseTo(dense[r][d], Offset.offset(1e-6f))
                .isCloseTo(unsharded[r][d], Offset.offset(1e-6f));
          }
        }
      }
    }
    // The step moved rows of several shards (1 and 2 of the first, 9 of the last).
    assertThat(dense[1][0]).isNotEqualTo(before[1][0]);
    assertThat(dense[9][0]).isNotEqualTo(before[9][0]);
  }

  @ParameterizedTest
  @MethodSource("org.sparktf.core.SparseUpdatesTest#optimizers")
  void slotVariablesAndUpdatesLiveOnTheShardThatOwnsTheRows(SparseOptimizer optimizer) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ShardedTable table = numbered(tf, 2, s -> DeviceSpec.newBuilder().job("ps").task(s).build());
      Placeholder<TInt64> ids = tf.placeholder(TInt64.class);
      SparseLookup lookup = SparseLookup.gather(tf, table, ids);
      Operand<TFloat32> loss =
          tf.reduceSum(tf.math.square(lookup.rows()), tf.constant(new int[] {0, 1}));
      ReplicatedTraining.asynchronous(
          new LocalNodeContext(), graph, optimizer, loss, List.of(lookup));
      int slots =
          optimizer.toString().startsWith("sgd")
              ? 0
              : optimizer.toString().startsWith("ftrl") ? 2 : 1;
      for (int s = 0; s < 2; s++) {
        String slotNames = "table\\.part_" + s + "-.+";
        String device = "/job:ps/task:" + s;
        List<GraphOperation> shardSlots = new ArrayList<>();
        List<GraphOperation> applies = new ArrayList<>();
        graph
            .operations()
            .forEachRemaining(
                op -> {
                  GraphOperation g = (GraphOperation) op;
                  if (op.type().equals("VariableV2") && op.name().matches(slotNames)) {
                    shardSlots.add(g);
                  }
                  if ((op.type().startsWith("SparseApply") || op.type().equals("ScatterSub"))
                      && g.device().contains(device)) {
                    applies.add(g);
                  }
                });
        assertThat(shardSlots).hasSize(slots);
        for (GraphOperation slot : shardSlots) {
          assertThat(slot.device()).as(slot.name()).contains(device);
          assertThat(slot.output(0).shape()).isEqualTo(table.shards().get(s).shape());
        }
        // One update per shard, on its own task.
        assertThat(applies).hasSize(1);
      }
    }
  }

  /** The logical table and its AdaGrad accumulator, after training, through checkpoints. */
  private record Values(float[][] table, float[][] accumulator) {}

  /**
   * Builds the model with the table in {@code shards} shards, restores the latest checkpoint of
   * {@code modelDir} when there is one, runs {@code steps} AdaGrad steps, saves checkpoint {@code
   * save} when positive and returns the logical table and accumulator.
   */
  private Values adaGradRoundTrip(int shards, String modelDir, int steps, long save)
      throws Exception {
    Configuration conf = new Configuration(false);
    Path local = Files.createTempDirectory(dir, "local-");
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ShardedTable table = numbered(tf, shards, s -> null);
      Placeholder<TInt64> ids = tf.placeholder(TInt64.class);
      SparseLookup lookup = SparseLookup.gather(tf, table, ids);
      Operand<TFloat32> loss =
          tf.reduceSum(tf.math.square(lookup.rows()), tf.constant(new int[] {0, 1}));
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(
              new LocalNodeContext(),
              graph,
              SparseOptimizer.adaGrad(0.1f, 0.1f),
              loss,
              List.of(lookup));
      try (Session session = new Session(graph);
          TInt64 batch = TInt64.vectorOf(1, 4, 4, 8, 9, 0)) {
        training.begin(session, Duration.ofSeconds(10));
        Checkpoints.restoreLatest(session, conf, modelDir, local);
        for (int i = 0; i < steps; i++) {
          training.step(session, Map.<Operand<?>, Tensor>of(ids, batch));
        }
        if (save > 0) {
          Checkpoints.save(session, conf, modelDir, local, 1, save, 5);
        }
        return new Values(
            concat(session, graph, Pattern.compile("table(\\.part_\\d+)?")),
            concat(session, graph, Pattern.compile("table(\\.part_\\d+)?-accumulator")));
      }
    }
  }

  /** The variables whose names match, in name order (the shards' order), concatenated by row. */
  private static float[][] concat(Session session, Graph graph, Pattern names) {
    List<String> matching = new ArrayList<>();
    graph
        .operations()
        .forEachRemaining(
            op -> {
              if (op.type().equals("VariableV2") && names.matcher(op.name()).matches()) {
                matching.add(op.name());
              }
            });
    matching.sort(null);
    List<float[]> rows = new ArrayList<>();
    for (String name : matching) {
      try (TFloat32 value = (TFloat32) session.runner().fetch(name).run().get(0)) {
        rows.addAll(List.of(StdArrays.array2dCopyOf(value)));
      }
    }
    return rows.toArray(new float[0][]);
  }

  @Test
  void aCheckpointOfTwoShardsRestoresIntoThreeShardsAndIntoOneTableWithItsSlots() throws Exception {
    String modelDir = dir.resolve("model").toUri().toString();
    Values initial = adaGradRoundTrip(2, modelDir, 0, 0);
    Values saved = adaGradRoundTrip(2, modelDir, 2, 2);
    assertThat(saved.table()).hasNumberOfRows(ROWS);
    // Training moved rows of both shards, and their accumulators.
    assertThat(saved.table()[1][0]).isNotEqualTo(initial.table()[1][0]);
    assertThat(saved.table()[9][0]).isNotEqualTo(initial.table()[9][0]);
    assertThat(saved.accumulator()[9][0]).isGreaterThan(0.1f);
    for (int shards : new int[] {3, 1, 2}) {
      Values restored = adaGradRoundTrip(shards, modelDir, 0, 0);
      assertThat(restored.table()).as("%d shards", shards).isDeepEqualTo(saved.table());
      assertThat(restored.accumulator()).as("%d shards", shards).isDeepEqualTo(saved.accumulator());
    }
    // Saved from one table, restored into three shards.
    Values fromOne = adaGradRoundTrip(1, modelDir, 1, 3);
    Values intoThree = adaGradRoundTrip(3, modelDir, 0, 0);
    assertThat(intoThree.table()).isDeepEqualTo(fromOne.table());
    assertThat(intoThree.accumulator()).isDeepEqualTo(fromOne.accumulator());
    assertThat(fromOne.table()[9][0]).isNotEqualTo(saved.table()[9][0]);
  }
}
