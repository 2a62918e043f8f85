package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster on executors in their own JVMs (Spark's local-cluster master: a standalone master and
 * workers in this JVM, executors launched as processes), as on a real cluster.
 */
class SeparateExecutorsTest {
  private static SparkSession spark;

  @TempDir static Path home;
  @TempDir Path dir;

  @BeforeAll
  static void startSpark() throws Exception {
    // Spark assigns GPUs from what each worker's discovery script reports; no GPU is needed to
    // check that a node's TensorFlow is shown exactly the ones its task got.
    Path gpus = home.resolve("gpus.sh");
    Files.writeString(gpus, "#!/bin/sh\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
    Files.setPosixFilePermissions(
        gpus, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    spark =
        TestSpark.localCluster(
            "SeparateExecutorsTest",
            3,
            home,
            Map.of(
                "spark.worker.resource.gpu.amount", "2",
                "spark.worker.resource.gpu.discoveryScript", gpus.toString(),
                "spark.executor.resource.gpu.amount", "1",
                "spark.task.resource.gpu.amount", "1"));
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private TFCluster.Builder cluster(InputMode mode) {
    return TFCluster.builder(spark)
        .numExecutors(3)
        .numPs(1)
        .inputMode(mode)
        .modelDir(dir.toUri().toString())
        .reservationTimeout(Duration.ofSeconds(90))
        .nodeJavaOptions("-Xmx256m");
  }

  @Test
  void trainsWithOneNodePerExecutorJvm() throws Exception {
    Set<String> executors = new HashSet<>();
    try (TFCluster cluster = cluster(InputMode.TENSORFLOW).run(LinearRegressionNode::run)) {
      cluster.clusterSpec().jobs().values().forEach(tasks -> assertThat(tasks).isNotEmpty());
      cluster.shutdown();
    }
    String[] wb = Files.readString(dir.resolve("result.txt")).trim().split(" ");
    assertThat(Float.parseFloat(wb[0])).isCloseTo(3f, Offset.offset(0.05f));
    assertThat(Float.parseFloat(wb[1])).isCloseTo(2f, Offset.offset(0.05f));
  }

  @Test
  void feedsEveryRowOnceAcrossExecutorJvms() throws Exception {
    try (TFCluster cluster = cluster(InputMode.SPARK).run(SeparateExecutorsTest::countIds)) {
      cluster.train(spark.range(0, 20_000, 1, 9).selectExpr("id", "CAST(id AS FLOAT) AS x"), 1);
      cluster.shutdown();
    }
    Map<Long, Integer> seen = new HashMap<>();
    for (int w = 0; w < 2; w++) {
      for (String line : Files.readAllLines(dir.resolve("ids-" + w + ".txt"))) {
        seen.merge(Long.parseLong(line), 1, Integer::sum);
      }
    }
    assertThat(seen).hasSize(20_000);
    assertThat(seen.values()).allMatch(c -> c == 1);
  }

  @Test
  void aWorkerFunctionThatReturnsWithoutTerminateEndsTheFeedAtOnce() throws Exception {
    // Executor JVMs have Spark's default spark.task.maxFailures (4): before the feed ended with the
    // function, every attempt of a feeding task waited out the feed timeout.
    Duration feedTimeout = Duration.ofSeconds(90);
    try (TFCluster cluster =
        cluster(InputMode.SPARK).feedTimeout(feedTimeout).run(SeparateExecutorsTest::oneBatch)) {
      long start = System.nanoTime();
      cluster.train(spark.range(0, 200_000, 1, 6).selectExpr("id", "CAST(id AS FLOAT) AS x"), 2);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      // Generous for a loaded machine, and still less than one feed timeout.
      assertThat(took).isLessThan(Duration.ofSeconds(60));
      cluster.shutdown();
    }
    assertThat(Files.readString(dir.resolve("one-batch-0.txt"))).isEqualTo("100");
    Leaks.assertNoNodeProcessesOrThreadsUnderExecutors();
  }

  static void oneBatch(NodeContext ctx) throws Exception {
    if (ctx.jobName().equals("worker")) {
      int rows = ctx.dataFeed().nextBatch(100).rows();
      LinearRegressionNode.write(ctx, "one-batch-" + ctx.taskIndex() + ".txt", "" + rows);
    }
  }

  @Test
  void aFailingNodeOnAnotherJvmFailsTheClusterWithItsStackTrace() {
    TFCluster cluster = cluster(InputMode.TENSORFLOW).run(TFClusterTest::failOnWorker);
    try {
      assertThatThrownBy(cluster::shutdown)
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("Node worker:")
          .hasMessageContaining("bad input on purpose");
    } finally {
      cluster.close();
    }
  }

  @Test
  void synchronousTrainingAcrossExecutorJvmsAveragesEveryWorkersGradient() throws Exception {
    try (TFCluster cluster =
        cluster(InputMode.TENSORFLOW).run(new ReplicatedRegression(true, 100))) {
      cluster.shutdown();
    }
    for (int worker = 0; worker < 2; worker++) {
      String[] r = Files.readString(dir.resolve("worker-" + worker + ".txt")).trim().split(" ");
      assertThat(Float.parseFloat(r[0])).isCloseTo(3f, Offset.offset(0.05f));
      assertThat(Long.parseLong(r[2])).isEqualTo(100);
    }
  }

  @Test
  void aRestartedClusterOnExecutorJvmsResumesFromTheLatestCheckpoint() throws Exception {
    try (TFCluster cluster = cluster(InputMode.TENSORFLOW).run(new CheckpointedRegression(100))) {
      cluster.shutdown();
    }
    long first =
        Checkpoints.latestStep(new org.apache.hadoop.conf.Configuration(), dir.toUri().toString())
            .getAsLong();
    try (TFCluster cluster = cluster(InputMode.TENSORFLOW).run(new CheckpointedRegression(150))) {
      cluster.shutdown();
    }
    assertThat(Files.readString(dir.resolve("restored.txt"))).isEqualTo(Long.toString(first));
    assertThat(
            Checkpoints.latestStep(
                    new org.apache.hadoop.conf.Configuration(), dir.toUri().toString())
                .getAsLong())
        .isGreaterThanOrEqualTo(150);
  }

  @Test
  void eachNodeSeesExactlyTheGpuSparkAssignedToItsTask() throws Exception {
    try (TFCluster cluster = cluster(InputMode.TENSORFLOW).run(SeparateExecutorsTest::reportGpus)) {
      cluster.shutdown();
    }
    for (String node : List.of("ps-0", "worker-0", "worker-1")) {
      String[] report = Files.readString(dir.resolve("gpus-" + node + ".txt")).split(";");
      assertThat(report[0]).isIn("0", "1");
      assertThat(report[1]).isEqualTo(report[0]);
    }
  }

  static void reportGpus(NodeContext ctx) throws Exception {
    LinearRegressionNode.write(
        ctx,
        "gpus-" + ctx.jobName() + "-" + ctx.taskIndex() + ".txt",
        System.getenv("CUDA_VISIBLE_DEVICES") + ";" + String.join(",", ctx.gpus()));
  }

  static void countIds(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    List<String> ids = new java.util.ArrayList<>();
    DataFeed feed = ctx.dataFeed();
    while (true) {
      FeedBatch batch = feed.nextBatch(500);
      if (batch.rows() == 0) {
        break;
      }
      try (org.tensorflow.types.TInt64 id = batch.int64("id")) {
        for (int r = 0; r < batch.rows(); r++) {
          ids.add(Long.toString(id.getLong(r)));
        }
      }
    }
    LinearRegressionNode.write(ctx, "ids-" + ctx.taskIndex() + ".txt", String.join("\n", ids));
  }
}
