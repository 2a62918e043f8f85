package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node losses on separate executor JVMs (Spark's local-cluster master): the test kills real OS
 * processes, an executor that runs a worker or a parameter server's node process, mid-training.
 */
class NodeLossTest {
  private static final Logger LOG = LoggerFactory.getLogger(NodeLossTest.class);
  private static final long TARGET_STEP = 400;
  private static final Duration LIVENESS = Duration.ofSeconds(10);
  private static SparkSession spark;

  @TempDir static Path home;
  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.localCluster("NodeLossTest", 3, home, Map.of());
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreadsUnderExecutors();
  }

  private TFCluster.Builder cluster(Path modelDir, int maxRestarts) {
    return TFCluster.builder(spark)
        .numExecutors(3)
        .numPs(1)
        .inputMode(InputMode.TENSORFLOW)
        .modelDir(modelDir.toUri().toString())
        .maxRestarts(maxRestarts)
        .reservationTimeout(Duration.ofSeconds(120))
        .shutdownTimeout(Duration.ofMinutes(4))
        .nodeJavaOptions("-Xmx256m");
  }

  @Test
  void aKilledWorkerExecutorRestartsTheClusterWhichResumesFromTheLatestCheckpoint()
      throws Exception {
    Path undisturbed = dir.resolve("undisturbed");
    long start = System.nanoTime();
    try (TFCluster cluster = cluster(undisturbed, 0).run(new ResumableRegression(TARGET_STEP, 0))) {
      cluster.shutdown();
    }
    String[] reference = Files.readString(undisturbed.resolve("final.txt")).split(" ");
    long undisturbedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    long recoverySeconds;

    Path disturbed = dir.resolve("disturbed");
    ClusterSpec first;
    long checkpointBeforeKill;
    try (TFCluster cluster = cluster(disturbed, 1).run(new ResumableRegression(TARGET_STEP, 150))) {
      first = cluster.clusterSpec();
      String firstId = cluster.id();
      checkpointBeforeKill = awaitCheckpoint(disturbed, 150);
      ProcessHandle executor = nodeProcess(firstId, "worker:1").parent().orElseThrow();
      assertThat(Leaks.arguments(executor)).contains("CoarseGrainedExecutorBackend");
      executor.destroyForcibly();
      executor.onExit().get(60, TimeUnit.SECONDS);
      long killed = System.nanoTime();

      cluster.shutdown();
      recoverySeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);

      assertThat(cluster.restarts()).isEqualTo(1);
      assertThat(cluster.id()).isEqualTo(firstId + "-r1");
      Leaks.assertPortsReleased(cluster.clusterSpec());
    }
    Leaks.assertPortsReleased(first);
    List<Long> begins = begins(disturbed);
    String[] result = Files.readString(disturbed.resolve("final.txt")).split(" ");
    LOG.info(
        "Killed worker:1's executor after checkpoint {}; the restarted cluster began at global step"
            + " {}; final step {} and held-out loss {} (undisturbed: step {}, loss {}); {} s from"
            + " the kill to the end of training (the undisturbed run took {} s in all)",
        checkpointBeforeKill,
        begins.get(1),
        result[0],
        result[1],
        reference[0],
        reference[1],
        recoverySeconds,
        undisturbedSeconds);
    // The first start began from scratch, the restart from the checkpoint the kill found or a
    // later one, well before the end.
    assertThat(begins).hasSize(2);
    assertThat(begins.get(0)).isZero();
    assertThat(begins.get(1)).isGreaterThanOrEqualTo(checkpointBeforeKill).isLessThan(TARGET_STEP);
    assertThat(Long.parseLong(result[0])).isGreaterThanOrEqualTo(TARGET_STEP);
    // As good as the undisturbed run: both reach the noise floor (variance 0.01).
    float undisturbedLoss = Float.parseFloat(reference[1]);
    float disturbedLoss = Float.parseFloat(result[1]);
    assertThat(undisturbedLoss).isCloseTo(0.01f, within(0.003f));
    assertThat(disturbedLoss).isCloseTo(undisturbedLoss, within(0.1f * undisturbedLoss));
  }

  @Test
  void aWorkerLostWhileFedRestartsTheClusterAndFeedsTheEpochAgain() throws Exception {
    // 6,400 rows, at least 200 steps of 32 per epoch, in small partitions so that the workers'
    // queues (16 frames each) do not take a whole epoch at once. Seeded: every epoch, and the one
    // fed again after the restart, has the same rows.
    Dataset<Row> rows =
        spark
            .range(0, 6400, 1, 64)
            .selectExpr("CAST(rand(7) * 2 - 1 AS FLOAT) AS x", "randn(8) * 0.1 AS noise")
            .selectExpr("x", "CAST(3 * x + 2 + noise AS FLOAT) AS y");
    Path undisturbed = dir.resolve("undisturbed");
    try (TFCluster cluster =
        cluster(undisturbed, 0).inputMode(InputMode.SPARK).run(ResumableRegression.fed(0))) {
      cluster.train(rows, 2);
      cluster.shutdown();
    }
    String[] reference = Files.readString(undisturbed.resolve("final.txt")).split(" ");

    Path disturbed = dir.resolve("disturbed");
    long checkpointBeforeKill;
    try (TFCluster cluster =
        cluster(disturbed, 1).inputMode(InputMode.SPARK).run(ResumableRegression.fed(100))) {
      String firstId = cluster.id();
      CompletableFuture<Long> killer =
          CompletableFuture.supplyAsync(
              () -> {
                long step = awaitCheckpoint(disturbed, 100);
                nodeProcess(firstId, "worker:1").parent().orElseThrow().destroyForcibly();
                return step;
              });
      cluster.train(rows, 2);
      checkpointBeforeKill = killer.get(60, TimeUnit.SECONDS);
      cluster.shutdown();
      assertThat(cluster.restarts()).isEqualTo(1);
    }
    List<Long> begins = begins(disturbed);
    String[] result = Files.readString(disturbed.resolve("final.txt")).split(" ");
    LOG.info(
        "SPARK mode: killed worker:1's executor after checkpoint {}; the restarted cluster began at"
            + " global step {}; final step {} and held-out loss {} (undisturbed: step {}, loss {})",
        checkpointBeforeKill,
        begins.get(begins.size() - 1),
        result[0],
        result[1],
        reference[0],
        reference[1]);
    assertThat(begins).hasSize(2);
    assertThat(begins.get(1)).isGreaterThanOrEqualTo(checkpointBeforeKill);
    // At least the interrupted epoch was fed again to the restarted cluster.
    assertThat(Long.parseLong(result[0])).isGreaterThanOrEqualTo(begins.get(1) + 200);
    float undisturbedLoss = Float.parseFloat(reference[1]);
    assertThat(undisturbedLoss).isCloseTo(0.01f, within(0.003f));
    assertThat(Float.parseFloat(result[1]))
        .isCloseTo(undisturbedLoss, within(0.1f * undisturbedLoss));
  }

  @Test
  void aRestartFeedsAgainFromTheRestoredCheckpointsPositionSoNoRowOfAnEarlierEpochGoesUntrained()
      throws Exception {
    // 1,600 rows in 32 partitions: 50 steps of 32 rows per epoch, 150 in 3 epochs. A checkpoint
    // every 70 steps is longer than an epoch: the one at step 70 falls in epoch 2, and the kill
    // comes after step 110, in epoch 3, before the next checkpoint at 140. Each worker's first
    // start steps at most every 200 ms, so the window from step 110 to 140 is about 3 s: the
    // killer watches the chief's step (every 20 ms). It once waited for a checkpoint of step 70 or
    // later, the chief saved its first at 69, and the kill landed after the save at 140.
    int rows = 1600;
    int epochs = 3;
    long checkpointSteps = 70;
    Dataset<Row> ids = spark.range(0, rows, 1, 32).toDF("id");
    Path modelDir = dir.resolve("counted");
    long checkpoint;
    long stepAtKill;
    try (TFCluster cluster =
        cluster(modelDir, 1)
            .inputMode(InputMode.SPARK)
            .run(new RowCounting(rows, checkpointSteps, 200))) {
      String firstId = cluster.id();
      CompletableFuture<long[]> killer =
          CompletableFuture.supplyAsync(
              () -> {
                long step = awaitStep(modelDir, 110);
                // The chief saves once 70 steps passed since its start, at 69 or later.
                long saved = awaitCheckpoint(modelDir, 1);
                nodeProcess(firstId, "worker:1").parent().orElseThrow().destroyForcibly();
                // The chief may finish the step it is in: the failure comes after it.
                return new long[] {saved, step};
              });
      cluster.train(ids, epochs);
      long[] kill = killer.get(60, TimeUnit.SECONDS);
      cluster.shutdown();
      checkpoint = kill[0];
      stepAtKill = kill[1];
      assertThat(cluster.restarts()).isEqualTo(1);
    }
    List<Long> begins = begins(modelDir);
    int[] counts =
        java.util.Arrays.stream(Files.readString(modelDir.resolve("counts.txt")).split(" "))
            .mapToInt(Integer::parseInt)
            .toArray();
    long trainedTwice = java.util.Arrays.stream(counts).sum() - (long) epochs * rows;
    LOG.info(
        "Killed worker:1's executor at global step {} after checkpoint {}; the restart began at"
            + " step {}; rows trained once per epoch: {} of {}, trained once more: {}",
        stepAtKill,
        checkpoint,
        begins.get(begins.size() - 1),
        java.util.Arrays.stream(counts).filter(c -> c == epochs).count(),
        rows,
        trainedTwice);
    assertThat(begins).hasSize(2);
    long restored = begins.get(1);
    assertThat(checkpoint).as("the checkpoint before the kill, in epoch 2").isBetween(50L, 99L);
    assertThat(stepAtKill)
        .as("the kill landed in epoch 3, before the next checkpoint")
        .isLessThan(checkpoint + checkpointSteps);
    assertThat(restored).isBetween(checkpoint, stepAtKill);
    // No row of any epoch went untrained: each was trained once per epoch, some once more.
    assertThat(java.util.Arrays.stream(counts).boxed())
        .hasSize(rows)
        .allMatch(c -> c == epochs || c == epochs + 1);
    // Trained twice: only rows taken between the restored checkpoint and the failure, give or take
    // the batch each worker had in hand and what it took within one report interval (8 steps).
    assertThat(trainedTwice).isLessThanOrEqualTo((stepAtKill - restored + 8) * RowCounting.BATCH);
  }

  /** Waits until the chief has reached global step {@code step}, and returns the step it is at. */
  private static long awaitStep(Path modelDir, long step) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      try {
        long now = Long.parseLong(Files.readString(modelDir.resolve("step.txt")).trim());
        if (now >= step) {
          return now;
        }
      } catch (java.io.IOException | NumberFormatException e) {
        // Not written yet.
      }
      LockSupport.parkNanos(20_000_000L);
    }
    throw new AssertionError("The chief did not reach global step " + step + " within 3 minutes");
  }

  @Test
  void aKilledParameterServerFailsTheClusterNamingItPromptly() throws Exception {
    TFCluster cluster = cluster(dir, 0).run(new ResumableRegression(TARGET_STEP, 100));
    try {
      awaitCheckpoint(dir, 100);
      ProcessHandle ps = nodeProcess(cluster.id(), "ps:0");
      long killed = System.nanoTime();
      ps.destroyForcibly();
      assertThatThrownBy(cluster::shutdown)
          .isInstanceOf(TFClusterException.class)
          .hasMessageStartingWith("Node ps:0 (executor ");
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
      LOG.info("The cluster failed {} s after its parameter server was killed", seconds);
      assertThat(seconds).isLessThan(60);
      assertThat(cluster.restarts()).isZero();
    } finally {
      cluster.close();
    }
    Leaks.assertPortsReleased(cluster.clusterSpec());
  }

  @Test
  void aFrozenWorkerIsLostAfterTheLivenessTimeoutAndTheClusterRestartsWithoutIt() throws Exception {
    Path modelDir = dir.resolve("frozen");
    TFCluster cluster =
        cluster(modelDir, 1)
            .nodeLivenessTimeout(LIVENESS)
            .run(new ResumableRegression(TARGET_STEP, 100));
    ClusterSpec first = cluster.clusterSpec();
    long checkpointBeforeFreeze;
    long restartSeconds;
    long exitSeconds;
    try {
      String firstId = cluster.id();
      checkpointBeforeFreeze = awaitCheckpoint(modelDir, 100);
      ProcessHandle node = nodeProcess(firstId, "worker:1");
      ProcessHandle executor = node.parent().orElseThrow();
      // A frozen machine: no exit, no EOF, no RST; only silence.
      Signals.send("STOP", executor.pid(), node.pid());
      long frozen = System.nanoTime();
      CompletableFuture<Void> shutdown = CompletableFuture.runAsync(cluster::shutdown);
      long deadline = frozen + TimeUnit.MINUTES.toNanos(3);
      while (!cluster.id().equals(firstId + "-r1") && !shutdown.isDone()) {
        assertThat(System.nanoTime()).as("restarted within 3 minutes").isLessThan(deadline);
        LockSupport.parkNanos(100_000_000L);
      }
      restartSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - frozen);
      assertThat(cluster.id()).isEqualTo(firstId + "-r1");
      // Fenced: the new servers listen where no server of the old cluster did.
      assertThat(addresses(cluster.clusterSpec())).doesNotContainAnyElementsOf(addresses(first));

      // The old processes wake up and leave on their own, whatever they were doing.
      long woken = System.nanoTime();
      for (ProcessHandle process : List.of(executor, node)) {
        if (process.isAlive()) {
          Signals.send("CONT", process.pid());
        }
      }
      node.onExit().get(LIVENESS.toSeconds() + 5, TimeUnit.SECONDS);
      exitSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - woken);
      // Spark replaced the frozen executor: it kills it.
      executor.onExit().get(60, TimeUnit.SECONDS);

      shutdown.get(4, TimeUnit.MINUTES);
      assertThat(cluster.restarts()).isEqualTo(1);
    } finally {
      cluster.close();
    }
    Leaks.assertPortsReleased(cluster.clusterSpec());
    Leaks.assertPortsReleased(first);
    List<Long> begins = begins(modelDir);
    String[] result = Files.readString(modelDir.resolve("final.txt")).split(" ");
    LOG.info(
        "Froze worker:1 (executor and node) after checkpoint {}; the cluster restarted {} s later"
            + " (nodeLivenessTimeout {} s) and began at global step {}; the old node exited {} s"
            + " after it woke up; final step {}, held-out loss {}",
        checkpointBeforeFreeze,
        restartSeconds,
        LIVENESS.toSeconds(),
        begins.get(1),
        exitSeconds,
        result[0],
        result[1]);
    // Detection within the timeout plus two heartbeats, then replacing the executor and starting
    // the nodes again.
    assertThat(restartSeconds).isLessThan(3 * LIVENESS.toSeconds() + 60);
    assertThat(begins).hasSize(2);
    assertThat(begins.get(1)).isGreaterThanOrEqualTo(checkpointBeforeFreeze);
    assertThat(Long.parseLong(result[0])).isGreaterThanOrEqualTo(TARGET_STEP);
    assertThat(Float.parseFloat(result[1])).isCloseTo(0.01f, within(0.003f));
  }

  @Test
  void aFrozenWorkerWithoutRestartsFailsTheClusterNamingItsExecutorHostAndSilence()
      throws Exception {
    TFCluster cluster =
        cluster(dir, 0)
            .nodeLivenessTimeout(LIVENESS)
            .run(new ResumableRegression(TARGET_STEP, 100));
    try {
      awaitCheckpoint(dir, 100);
      ProcessHandle node = nodeProcess(cluster.id(), "worker:1");
      ProcessHandle executor = node.parent().orElseThrow();
      Signals.send("STOP", executor.pid(), node.pid());
      long frozen = System.nanoTime();
      assertThatThrownBy(cluster::shutdown)
          .isInstanceOf(TFClusterException.class)
          .hasMessageMatching(
              "(?s)Node worker:1 \\(executor \\d+, host [^)]+\\) was lost: its (process|executor)"
                  + " was silent for \\d+ s, longer than nodeLivenessTimeout \\(10.0 s\\).*");
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - frozen);
      LOG.info("The cluster failed {} s after worker:1 froze (nodeLivenessTimeout 10 s)", seconds);
      assertThat(seconds).isLessThan(3 * LIVENESS.toSeconds());
      assertThat(cluster.restarts()).isZero();

      // Woken up, the old node learns it was superseded and exits; its executor lives on.
      Signals.send("CONT", executor.pid(), node.pid());
      node.onExit().get(LIVENESS.toSeconds() + 5, TimeUnit.SECONDS);
      assertThat(executor.isAlive()).isTrue();
    } finally {
      cluster.close();
    }
    Leaks.assertPortsReleased(cluster.clusterSpec());
  }

  private static List<String> addresses(ClusterSpec cluster) {
    return cluster.jobs().values().stream().flatMap(List::stream).collect(Collectors.toList());
  }

  /** The node process of {@code node} ("worker:1") of cluster {@code clusterId}. */
  private static ProcessHandle nodeProcess(String clusterId, String node) {
    String marker = "-Dsparktf.node=" + clusterId + "/" + node;
    List<ProcessHandle> found =
        ProcessHandle.current()
            .descendants()
            .filter(p -> Leaks.arguments(p).contains(marker))
            .collect(Collectors.toList());
    assertThat(found).as("processes of node %s", node).hasSize(1);
    return found.get(0);
  }

  /** Waits until the model directory holds a checkpoint of step {@code step} or later. */
  private static long awaitCheckpoint(Path modelDir, long step) {
    Configuration conf = new Configuration();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      OptionalLong latest;
      try {
        latest = Checkpoints.latestStep(conf, modelDir.toUri().toString());
      } catch (IllegalStateException e) {
        // Read while the chief rewrote it: look again.
        latest = OptionalLong.empty();
      }
      if (latest.isPresent() && latest.getAsLong() >= step) {
        return latest.getAsLong();
      }
      LockSupport.parkNanos(100_000_000L);
    }
    throw new AssertionError("No checkpoint of step " + step + " or later within 3 minutes");
  }

  /** The global steps each start of the chief began from, in order. */
  private static List<Long> begins(Path modelDir) throws Exception {
    try (Stream<Path> files = Files.list(modelDir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("begin-"))
          .map(n -> Long.parseLong(n.substring("begin-".length(), n.length() - ".txt".length())))
          .sorted()
          .collect(Collectors.toList());
    }
  }
}
