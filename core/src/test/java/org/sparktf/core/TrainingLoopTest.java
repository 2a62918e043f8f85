package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;

/** The training loop on one parameter server and two workers, y = 3x + 2 as the model. */
class TrainingLoopTest {
  private static final Pattern CHECKPOINT = Pattern.compile("ckpt-(\\d+)-g\\d+\\.index");
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("TrainingLoopTest", 3);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  private void train(Settings settings) {
    try (TFCluster cluster =
        TestSpark.tensorflowCluster(spark, dir, 3, 1).run(new Looped(settings))) {
      cluster.shutdown();
    }
  }

  @Test
  void synchronousWorkersStopAtTheEndOfTheLastEpochThenResumeAndStopAtTheStepLimit()
      throws Exception {
    // Two epochs of 10 batches on each worker; synchronous, so the global step counts each worker's
    // steps once and every hook count is exact.
    train(new Settings(true, 2, 10, 0, null, 7));
    for (int worker = 0; worker < 2; worker++) {
      Seen r = Seen.read(dir, worker);
      assertThat(r.begin).isEqualTo(0);
      assertThat(r.epochEnds).containsExactly("0@10", "1@20");
      assertThat(r.periodic).containsExactly(5L, 10L, 15L, 20L);
      assertThat(r.finish).isEqualTo(20);
    }
    // The chief checkpointed about every 7 steps and at the end, keeping the newest 2.
    TreeSet<Long> kept = checkpoints();
    assertThat(kept).hasSize(2).contains(20L);
    assertThat(kept.first()).isBetween(20L - 7, 19L);
    assertThat(Checkpoints.latestStep(new Configuration(), dir.toUri().toString())).hasValue(20);
    assertExportServesTheFinalVariables(20, Seen.read(dir, 0));

    // A restarted cluster resumes at step 20 and stops at the step limit, in its first epoch.
    train(new Settings(true, 2, 10, 26, null, 7));
    for (int worker = 0; worker < 2; worker++) {
      Seen r = Seen.read(dir, worker);
      assertThat(r.begin).isEqualTo(20);
      assertThat(r.epochEnds).isEmpty();
      assertThat(r.periodic).containsExactly(25L);
      assertThat(r.finish).isEqualTo(26);
    }
    assertThat(checkpoints()).hasSize(2).contains(26L);
    assertExportServesTheFinalVariables(26, Seen.read(dir, 0));
    try (Stream<Path> exports = Files.list(dir.resolve("export"))) {
      assertThat(exports.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("20", "26");
    }
  }

  @Test
  void longDataStopsAtTheTimeLimit() throws Exception {
    long start = System.nanoTime();
    // Data for minutes of steps, so that a loop that ignored the limit would still end.
    train(new Settings(false, 1, 100_000, 0, Duration.ofSeconds(3), 0));
    for (int worker = 0; worker < 2; worker++) {
      Seen r = Seen.read(dir, worker);
      assertThat(r.localSteps).isBetween(1L, 99_999L);
      // The loop stopped by time: at least the limit, and far below the test's 2-minute bound.
      assertThat(r.trainedMillis).isBetween(2_900L, 60_000L);
      assertThat(r.epochEnds).isEmpty();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(2));
    assertThat(Checkpoints.latestStep(new Configuration(), dir.toUri().toString()))
        .hasValue(Seen.read(dir, 0).finish);
  }

  private TreeSet<Long> checkpoints() throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("checkpoints"))) {
      return files
          .map(p -> CHECKPOINT.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .map(m -> Long.parseLong(m.group(1)))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** The export of {@code step} computes y = w·x + b with the chief's final w and b. */
  private void assertExportServesTheFinalVariables(long step, Seen chief) throws Exception {
    Path export = dir.resolve("export").resolve(Long.toString(step));
    try (SavedModelBundle model = SavedModelBundle.load(export.toString(), "serve");
        TFloat32 x = TFloat32.vectorOf(0f, 1f);
        Result result = model.function("serving_default").call(Map.of("x", x))) {
      TFloat32 y = (TFloat32) result.get("y").orElseThrow();
      assertThat(y.getFloat(0)).isCloseTo(chief.b, Offset.offset(1e-5f));
      assertThat(y.getFloat(1)).isCloseTo(chief.w + chief.b, Offset.offset(1e-5f));
    }
  }

  /** What a test run asks of the loop. */
  record Settings(
      boolean synchronous,
      int epochs,
      long batchesPerEpoch,
      long maxSteps,
      Duration maxTime,
      long checkpointSteps)
      implements Serializable {}

  /** What a worker saw of its loop, from loop-<task>.txt. */
  record Seen(
      long begin,
      List<String> epochEnds,
      List<Long> periodic,
      long finish,
      long localSteps,
      long trainedMillis,
      float w,
      float b) {
    static Seen read(Path dir, int worker) throws Exception {
      List<String> lines = Files.readAllLines(dir.resolve("loop-" + worker + ".txt"));
      String[] end = lines.get(lines.size() - 1).split(" ");
      return new Seen(
          Long.parseLong(lines.get(0).split(" ")[1]),
          lines.stream()
              .filter(l -> l.startsWith("epoch "))
              .map(l -> l.substring(6))
              .collect(Collectors.toList()),
          lines.stream()
              .filter(l -> l.startsWith("every "))
              .map(l -> Long.parseLong(l.substring(6)))
              .collect(Collectors.toList()),
          Long.parseLong(end[1]),
          Long.parseLong(end[2]),
          Long.parseLong(end[3]),
          Float.parseFloat(end[4]),
          Float.parseFloat(end[5]));
    }
  }

  /**
   * Trains y = 3x + 2 on generated batches, recording each hook call to loop-<task>.txt: "begin
   * step", "epoch e@step", "every step", and last "finish step localSteps millis w b".
   */
  static final class Looped implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final Settings settings;

    Looped(Settings settings) {
      this.settings = settings;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      if (!ctx.jobName().equals("worker")) {
        return;
      }
      try (Graph graph = new Graph()) {
        LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
        ReplicatedTraining training = model.training(ctx, graph, settings.synchronous());
        StringBuilder log = new StringBuilder();
        long[] counts = new long[2]; // local steps, start nanos
        Random random = new Random(7 + ctx.taskIndex());
        TrainingLoop.builder(ctx, training)
            .maxSteps(settings.maxSteps())
            .maxTime(settings.maxTime())
            .checkpoints(settings.checkpointSteps(), 0, 2)
            .beginTimeout(Duration.ofSeconds(60))
            .finishTimeout(Duration.ofSeconds(60))
            .data(
                settings.epochs(),
                epoch ->
                    TestBatches.take(
                        settings.batchesPerEpoch(),
                        () -> {
                          counts[0]++;
                          float[][] s = TestBatches.regressionSamples(random, 32, 0);
                          return BatchSource.Batch.of(
                              Map.of(
                                  model.x(),
                                  TFloat32.vectorOf(s[0]),
                                  model.y(),
                                  TFloat32.vectorOf(s[1])));
                        }))
            .onBegin(
                (session, step) -> {
                  counts[1] = System.nanoTime();
                  log.append("begin ").append(step).append('\n');
                })
            .onEpochEnd(
                (session, epoch, step) ->
                    log.append("epoch ").append(epoch).append('@').append(step).append('\n'))
            .every(5, (session, step) -> log.append("every ").append(step).append('\n'))
            .onFinish(
                (session, step) -> {
                  try (Result wb = session.runner().fetch(model.w()).fetch(model.b()).run()) {
                    log.append("finish ")
                        .append(step)
                        .append(' ')
                        .append(counts[0])
                        .append(' ')
                        .append((System.nanoTime() - counts[1]) / 1_000_000)
                        .append(' ')
                        .append(((TFloat32) wb.get(0)).getFloat())
                        .append(' ')
                        .append(((TFloat32) wb.get(1)).getFloat());
                  }
                  LinearRegressionNode.write(
                      ctx, "loop-" + ctx.taskIndex() + ".txt", log.toString());
                })
            .exportSavedModel(
                step -> ctx.modelDir() + "/export/" + step, LinearRegressionGraph::servingGraph)
            .build()
            .run(graph);
      }
    }
  }
}
