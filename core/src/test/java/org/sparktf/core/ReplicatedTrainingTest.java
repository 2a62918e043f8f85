package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Two parameter servers share the variables; two workers train them, in both update modes. */
class ReplicatedTrainingTest {
  private static final int STEPS = 150;
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("ReplicatedTrainingTest", 4);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  private void train(NodeFunction function) {
    try (TFCluster cluster = TestSpark.tensorflowCluster(spark, dir, 4, 2).run(function)) {
      assertThat(cluster.clusterSpec().numTasks("ps")).isEqualTo(2);
      cluster.shutdown();
    }
  }

  private String[] result(int worker) throws Exception {
    return Files.readString(dir.resolve("worker-" + worker + ".txt")).trim().split(" ");
  }

  @Test
  void synchronousTrainingAveragesOneGradientPerWorkerPerUpdateAndConverges() throws Exception {
    train(new ReplicatedRegression(true, STEPS));
    for (int worker = 0; worker < 2; worker++) {
      String[] r = result(worker);
      assertThat(Float.parseFloat(r[0])).isCloseTo(3f, Offset.offset(0.05f));
      assertThat(Float.parseFloat(r[1])).isCloseTo(2f, Offset.offset(0.05f));
      // Both workers' 150 gradients went into 150 shared updates.
      assertThat(Long.parseLong(r[2])).isEqualTo(STEPS);
    }
    // The chief logged loss and steps/sec for TensorBoard under the model directory.
    List<Path> eventFiles = EventFiles.in(dir);
    assertThat(eventFiles).hasSize(1);
    List<Event> events = EventFiles.read(eventFiles.get(0));
    List<Float> losses = EventFiles.scalars(events, "loss");
    assertThat(losses.size()).isGreaterThanOrEqualTo(10);
    assertThat(losses.get(losses.size() - 1)).isLessThan(losses.get(0) / 100);
    assertThat(EventFiles.scalars(events, "global_step/sec"))
        .isNotEmpty()
        .allMatch(rate -> rate > 0);
    // ... and the training graph, once, which imports into a new Graph with the model's ops.
    List<Event> graphs = events.stream().filter(e -> !e.getGraphDef().isEmpty()).toList();
    assertThat(graphs)
        .as(
            "%s",
            events.stream()
                .map(e -> e.getWallTime() + ":" + e.getStep() + ":" + !e.getGraphDef().isEmpty())
                .toList())
        .hasSize(1);
    try (Graph imported = new Graph()) {
      imported.importGraphDef(GraphDef.parseFrom(graphs.get(0).getGraphDef()));
      assertThat(imported.operation("w")).isNotNull();
      assertThat(imported.operation("b")).isNotNull();
      assertThat(imported.operation("global_step")).isNotNull();
    }
  }

  @Test
  void asynchronousTrainingAppliesEveryWorkerGradientAndConverges() throws Exception {
    train(new ReplicatedRegression(false, STEPS));
    long last = 0;
    for (int worker = 0; worker < 2; worker++) {
      String[] r = result(worker);
      assertThat(Float.parseFloat(r[0])).isCloseTo(3f, Offset.offset(0.05f));
      assertThat(Float.parseFloat(r[1])).isCloseTo(2f, Offset.offset(0.05f));
      last = Math.max(last, Long.parseLong(r[2]));
    }
    // Every gradient of both workers was its own update.
    assertThat(last).isEqualTo(2L * STEPS);
  }

  @Test
  void anAsynchronousStepThatTensorFlowAbortsRunsAgainAndTrainingFinishes() throws Exception {
    // Worker 1's step 20 runs three times: twice aborted after it ran, then once more.
    train(new ReplicatedRegression(false, STEPS, 2));
    long last = 0;
    for (int worker = 0; worker < 2; worker++) {
      String[] r = result(worker);
      assertThat(Float.parseFloat(r[0])).isCloseTo(3f, Offset.offset(0.05f));
      assertThat(Float.parseFloat(r[1])).isCloseTo(2f, Offset.offset(0.05f));
      last = Math.max(last, Long.parseLong(r[2]));
    }
    // Each aborted run had applied its gradient on the parameter servers: two extra updates.
    assertThat(last).isEqualTo(2L * STEPS + 2);
  }

  @Test
  void anAsynchronousStepThatTensorFlowAbortsEveryTimeFailsTheJobNamingTheStep() {
    assertThatThrownBy(() -> train(new ReplicatedRegression(false, STEPS, Integer.MAX_VALUE)))
        .isInstanceOf(TFClusterException.class)
        .hasMessageContaining("Cannot run training step ")
        .hasMessageContaining(
            " on worker:1: TensorFlow aborted it 3 times in a row: " + AbortedStepTest.DUPLICATE);
  }

  @Test
  void synchronousSparseUpdatesAverageTheWorkersRowsAndConverge() throws Exception {
    train(new SparseRegression(true, STEPS));
    for (int worker = 0; worker < 2; worker++) {
      String[] r = result(worker);
      for (int row = 0; row < SparseRegression.ROWS; row++) {
        assertThat(Float.parseFloat(r[row]))
            .as("row %d", row)
            .isCloseTo(SparseRegression.planted(row), Offset.offset(0.05f));
      }
      assertThat(Float.parseFloat(r[SparseRegression.ROWS])).isCloseTo(2f, Offset.offset(0.05f));
      // One update per step, each averaging both workers' rows.
      assertThat(Long.parseLong(r[SparseRegression.ROWS + 1])).isEqualTo(STEPS);
    }
  }

  @Test
  void aTableShardedOverBothParameterServersTrainsSynchronouslyAndExportsAsOneTable()
      throws Exception {
    train(new SparseRegression(true, STEPS, 2));
    float[] trained = new float[SparseRegression.ROWS];
    for (int worker = 0; worker < 2; worker++) {
      String[] r = result(worker);
      for (int row = 0; row < SparseRegression.ROWS; row++) {
        trained[row] = Float.parseFloat(r[row]);
        assertThat(trained[row])
            .as("row %d", row)
            .isCloseTo(SparseRegression.planted(row), Offset.offset(0.05f));
      }
      assertThat(Long.parseLong(r[SparseRegression.ROWS + 1])).isEqualTo(STEPS);
    }
    long[] every = java.util.stream.LongStream.range(0, SparseRegression.ROWS).toArray();
    // The export: one variable of the full shape, nothing placed on a parameter server.
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.resolve("export").toString());
        TInt64 ids = TInt64.vectorOf(every)) {
      GraphDef def = bundle.graph().toGraphDef();
      assertThat(def.getNodeList()).noneMatch(node -> node.getDevice().contains("/job:ps"));
      assertThat(def.getNodeList())
          .filteredOn(node -> node.getOp().equals("VariableV2"))
          .extracting(NodeDef::getName)
          .containsExactly("table");
      try (var result =
          bundle.function("serving_default").call(Map.of(SparseRegression.SERVING_IDS, ids))) {
        TFloat32 rows = (TFloat32) result.get(SparseRegression.SERVING_ROWS).get();
        assertThat(StdArrays.array1dCopyOf(rows)).containsExactly(trained);
      }
    }
    // The checkpoint of two shards restores into three.
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ShardedTable table =
          ShardedTable.create(
              tf,
              "table",
              Shape.of(SparseRegression.ROWS),
              3,
              s -> null,
              (ops, first, shape) -> ops.zeros(ops.constant(shape.asArray()), TFloat32.class));
      SparseLookup lookup = SparseLookup.gather(tf, table, tf.constant(every));
      LogicalSaver.install(graph, List.of(table));
      try (Session session = new Session(graph)) {
        session.initialize();
        assertThat(
                Checkpoints.restoreLatest(
                    session,
                    new Configuration(false),
                    dir.toUri().toString(),
                    Files.createTempDirectory(dir, "restore-")))
            .hasValue(STEPS);
        try (TFloat32 rows = (TFloat32) session.runner().fetch(lookup.rows()).run().get(0)) {
          assertThat(StdArrays.array1dCopyOf(rows)).containsExactly(trained);
        }
      }
    }
  }

  @Test
  void theChiefFinishesOnlyAfterTheOtherWorkersSoItsCheckpointHoldsAllTheirUpdates()
      throws Exception {
    train(new FinishingWorkers(STEPS, Duration.ofMinutes(2), false));
    // Worker 1 starts only once the chief made all its steps; the chief waited for its 150 more.
    assertThat(Files.readString(dir.resolve("chief.txt")).trim()).isEqualTo("" + 2 * STEPS);
    assertThat(Files.readString(dir.resolve("worker-1.txt")).trim()).isEqualTo("" + 2 * STEPS);
  }

  @Test
  void aChiefWhoseWorkersDoNotFinishInTimeGoesOnWithItsOwnUpdates() throws Exception {
    train(new FinishingWorkers(STEPS, Duration.ofSeconds(2), true));
    // Worker 1 starts only after the chief's finish gave up waiting for it.
    assertThat(Files.readString(dir.resolve("chief.txt")).trim()).isEqualTo("" + STEPS);
    assertThat(Files.readString(dir.resolve("worker-1.txt")).trim()).isEqualTo("" + 2 * STEPS);
  }

  @Test
  void threeStepsPerRunOnAParameterServerEqualThreeSingleStepsDenseAndSparse() throws Exception {
    try (TFCluster cluster = TestSpark.tensorflowCluster(spark, dir, 2, 1).run(new StepsPerRun())) {
      assertThat(cluster.clusterSpec().numTasks("ps")).isEqualTo(1);
      assertThat(cluster.clusterSpec().numTasks("worker")).isEqualTo(1);
      cluster.shutdown();
    }
    List<String> lines = Files.readAllLines(dir.resolve("steps-per-run.txt"));
    assertThat(lines).hasSize(4);
    for (int sparse = 0; sparse < 2; sparse++) {
      String what = sparse == 1 ? "sparse" : "dense";
      StepsPerRunModel.Trained single = StepsPerRunModel.Trained.parse(lines.get(2 * sparse));
      StepsPerRunModel.Trained three = StepsPerRunModel.Trained.parse(lines.get(2 * sparse + 1));
      // The global step advanced by 3 per run.
      assertThat(single.steps()).as(what).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(three.steps()).as(what).containsExactly(3L, 6L);
      StepsPerRunTest.assertSameValues(three.values(), single.values(), what);
      assertThat(three.lastLoss()).as(what).isCloseTo(single.lastLoss(), Offset.offset(1e-6));
      assertThat(single.values()[StepsPerRunModel.ROWS * StepsPerRunModel.DIM])
          .as(what)
          .isNotCloseTo(0.5f, Offset.offset(1e-3f));
    }
  }

  /**
   * The worker trains {@link StepsPerRunModel} with SGD, dense then sparse, 1 then 3 steps per run
   * (each training a new graph whose initialization resets the PS's variables), and writes a line
   * per training to steps-per-run.txt.
   */
  static final class StepsPerRun implements NodeFunction {
    private static final long serialVersionUID = 1L;

    @Override
    public void run(NodeContext ctx) throws Exception {
      if (!ctx.jobName().equals("worker")) {
        return;
      }
      StringBuilder out = new StringBuilder();
      for (boolean sparse : new boolean[] {false, true}) {
        for (int stepsPerRun : new int[] {1, 3}) {
          out.append(
                  StepsPerRunModel.train(ctx, SparseOptimizer.sgd(0.1f), sparse, stepsPerRun)
                      .line())
              .append('\n');
        }
      }
      LinearRegressionNode.write(ctx, "steps-per-run.txt", out.toString());
    }
  }

  @Test
  void aSynchronousWorkerThatStopsEarlyFailsTheOthersInsteadOfHanging() {
    assertThatThrownBy(() -> train(new UnevenSync()))
        .isInstanceOf(TFClusterException.class)
        .hasMessageContaining("not every worker contributed within 5 s");
  }

  /** Worker 1 runs 3 steps, the chief 10: the chief's fourth update can never complete. */
  static final class UnevenSync implements NodeFunction {
    private static final long serialVersionUID = 1L;

    @Override
    public void run(NodeContext ctx) throws Exception {
      new ShortSync(ctx.taskIndex() == 0 ? 10 : 3).run(ctx);
    }
  }

  static final class ShortSync implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final int steps;

    ShortSync(int steps) {
      this.steps = steps;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      if (!ctx.jobName().equals("worker")) {
        return;
      }
      try (org.tensorflow.Graph graph = new org.tensorflow.Graph()) {
        org.tensorflow.op.Ops tf = org.tensorflow.op.Ops.create(graph);
        var w = tf.withDevice(ctx.variableDevice(0)).withName("w").variable(tf.constant(1f));
        var local = tf.withDevice(ctx.localDevice());
        var loss = local.math.square(local.math.mul(w, local.constant(1f)));
        ReplicatedTraining training =
            ReplicatedTraining.synchronous(
                ctx,
                graph,
                new org.tensorflow.framework.optimizers.GradientDescent(graph, 0.1f),
                loss,
                Duration.ofSeconds(5));
        TrainingLoop.builder(ctx, training)
            .beginTimeout(Duration.ofSeconds(60))
            .data(TestBatches.empty(steps))
            .build()
            .run(graph);
      }
    }
  }
}
