package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TFClusterTest {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("TFClusterTest", 3);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  private TFCluster.Builder cluster(int executors, int ps) {
    return TFCluster.builder(spark)
        .numExecutors(executors)
        .numPs(ps)
        .inputMode(InputMode.TENSORFLOW)
        .modelDir(dir.toUri().toString())
        .reservationTimeout(Duration.ofSeconds(60))
        .nodeJavaOptions("-Xmx256m");
  }

  @Test
  void trainsThroughParameterServerAndReachesTheOptimum() throws Exception {
    List<String> addresses = new java.util.ArrayList<>();
    try (TFCluster cluster = cluster(3, 1).run(LinearRegressionNode::run)) {
      assertThat(cluster.clusterSpec().numTasks("ps")).isEqualTo(1);
      assertThat(cluster.clusterSpec().numTasks("worker")).isEqualTo(2);
      assertThat(Leaks.nodeProcesses()).hasSize(3);
      cluster.clusterSpec().jobs().values().forEach(addresses::addAll);
      cluster.shutdown();
    }
    // Every TensorFlow server's port is free again once the cluster is gone.
    Leaks.assertNoNodeProcessesOrThreads();
    for (String address : addresses) {
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
        socket.bind(new java.net.InetSocketAddress(port));
        assertThat(socket.getLocalPort()).isEqualTo(port);
      }
    }
    String[] wb = Files.readString(dir.resolve("result.txt")).trim().split(" ");
    assertThat(Float.parseFloat(wb[0]))
        .isCloseTo(LinearRegressionNode.TRUE_W, org.assertj.core.data.Offset.offset(0.05f));
    assertThat(Float.parseFloat(wb[1]))
        .isCloseTo(LinearRegressionNode.TRUE_B, org.assertj.core.data.Offset.offset(0.05f));
  }

  @Test
  void aFailingNodeFailsTheClusterWithItsRoleAndStackTrace() {
    TFCluster cluster = cluster(2, 1).run(TFClusterTest::failOnWorker);
    try {
      assertThatThrownBy(cluster::shutdown)
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("Node worker:0")
          .hasMessageContaining("failed")
          .hasMessageContaining("IllegalStateException: bad input on purpose")
          .hasMessageContaining("failOnWorker");
    } finally {
      cluster.close();
    }
  }

  @Test
  void aCrashedNodeProcessIsReportedWithItsExitCodeAndOutput() {
    TFCluster cluster = cluster(2, 1).run(TFClusterTest::crashOnWorker);
    try {
      assertThatThrownBy(cluster::shutdown)
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("Node worker:0")
          .hasMessageContaining("exited with code 134")
          .hasMessageContaining("about to crash");
    } finally {
      cluster.close();
    }
  }

  @Test
  void refusesMoreNodesThanTaskSlotsBeforeStartingAnything() {
    assertThatThrownBy(() -> cluster(4, 1).run(LinearRegressionNode::run))
        .isInstanceOf(TFClusterException.class)
        .hasMessageContaining("Cannot start cluster: 3 executor task slots available, 4 requested")
        .hasMessageContaining("spark.executor.instances=4");
  }

  @Test
  void rejectsAClusterWithoutWorkers() {
    assertThatThrownBy(() -> cluster(2, 2).run(LinearRegressionNode::run))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid cluster size: 2 executors leave no worker");
  }

  private static final CountDownLatch HOLD_SLOT = new CountDownLatch(1);

  @Test
  void reservationTimesOutWithCountsWhenSparkCannotRunEveryNodeTask() throws Exception {
    // Another job holds one of the three task slots, so the barrier stage of three node tasks
    // cannot start: the reservation must give up after its timeout with an explanation.
    Thread blocker =
        new Thread(
            () ->
                new JavaSparkContext(spark.sparkContext())
                    .parallelize(List.of(1), 1)
                    .foreach(i -> HOLD_SLOT.await(120, TimeUnit.SECONDS)));
    blocker.start();
    try {
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (spark.sparkContext().statusTracker().getActiveStageIds().length == 0
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  cluster(3, 1)
                      .reservationTimeout(Duration.ofSeconds(5))
                      .run(LinearRegressionNode::run))
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining(
              "Cannot start cluster: 0 of 3 TensorFlow nodes registered within 5 s")
          .hasMessageContaining("spark.executor.instances");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    } finally {
      HOLD_SLOT.countDown();
      blocker.join(30_000);
    }
  }

  static void failOnWorker(NodeContext ctx) {
    if (ctx.jobName().equals("worker")) {
      throw new IllegalStateException("bad input on purpose");
    }
  }

  static void crashOnWorker(NodeContext ctx) {
    if (ctx.jobName().equals("worker")) {
      System.out.println("about to crash");
      System.out.flush();
      Runtime.getRuntime().halt(134);
    }
  }
}
