package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.TFCluster;
import org.sparktf.core.TFClusterException;
import org.sparktf.core.TestSpark;
import org.sparktf.examples.regression.RegressionJob;

/**
 * SparkTF on a real YARN and HDFS: an application in YARN client mode on queue CPU_Q, executors in
 * containers of their own, training data, checkpoints, TensorBoard events, the SavedModel and the
 * predictions all on HDFS.
 */
@ExtendWith(SharedHadoop.class)
class YarnClusterTest {
  /** Four executors asked for; the CPU partition (2 × 2 GiB) holds the AM and three. */
  private static final int REQUESTED_EXECUTORS = 4;

  private static final String DATA = "/data/yarn-cluster-test/regression";
  private static MiniHadoop hadoop;
  private static SparkSession spark;

  @BeforeAll
  static void startSpark(SharedHadoop shared) throws Exception {
    hadoop = shared.hadoop();
    RegressionData.write(hadoop.fs(), new org.apache.hadoop.fs.Path(DATA), 7);
    SparkSession.Builder builder = SparkSession.builder().appName("SparkTF YARN test");
    SparkOnYarn.conf(
            hadoop,
            "CPU_Q",
            REQUESTED_EXECUTORS,
            SparkOnYarn.yarnJars(entry -> !SparkOnYarn.isTestOnly(entry)))
        .forEach(builder::config);
    spark = builder.getOrCreate();
    TestSpark.awaitExecutors(spark, REQUESTED_EXECUTORS - 1, Duration.ofMinutes(3));
  }

  /** Stops the application and checks that nothing of it is left on the NodeManagers. */
  @AfterAll
  static void stopSpark() throws Exception {
    ApplicationId app =
        spark == null ? null : ApplicationId.fromString(spark.sparkContext().applicationId());
    TestSpark.stop(spark);
    if (app != null) {
      YarnProcesses.assertNothingLeft(
          hadoop, YarnProcesses.containerPrefix(app), true, Duration.ofMinutes(2));
    }
  }

  @Test
  void trainsExportsAndScoresFromHdfsToHdfsOnTheCpuNodesOnly() throws Exception {
    String work = hadoop.hdfs("/jobs/regression");
    Row metrics = RegressionJob.run(spark, hadoop.hdfs(DATA), work);

    assertThat(metrics.getLong(0)).isEqualTo(RegressionData.ROWS);
    // The noise alone gives 0.1; an untrained model is off by about 3.8.
    assertThat(metrics.getDouble(1)).isLessThan(0.3);
    FileSystem fs = hadoop.fs();
    assertThat(Checkpoints.latestStep(hadoop.conf(), hadoop.hdfs("/jobs/regression/model")))
        .isPresent();
    assertThat(files(fs, "/jobs/regression/model"))
        .anyMatch(name -> name.startsWith("events.out.tfevents."));
    assertThat(fs.exists(new org.apache.hadoop.fs.Path("/jobs/regression/export/saved_model.pb")))
        .isTrue();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path("/jobs/regression/predictions/_SUCCESS")))
        .isTrue();

    List<ContainerReport> containers =
        hadoop.containers(ApplicationId.fromString(spark.sparkContext().applicationId()));
    Set<NodeId> nodes =
        containers.stream().map(ContainerReport::getAssignedNode).collect(Collectors.toSet());
    // The AM and at least the two executors that ran the TensorFlow nodes.
    assertThat(containers).hasSizeGreaterThanOrEqualTo(3);
    assertThat(hadoop.cpuNodes()).containsAll(nodes);
    assertThat(nodes).doesNotContainAnyElementsOf(hadoop.gpuNodes());
  }

  @Test
  void aClusterLargerThanYarnGrantsFailsWithinTheReservationTimeout() throws Exception {
    Duration timeout = Duration.ofSeconds(20);
    long start = System.nanoTime();
    String granted =
        hadoop.containers(ApplicationId.fromString(spark.sparkContext().applicationId())).stream()
            .map(
                c ->
                    c.getContainerId() + "@" + c.getAssignedNode() + " " + c.getAllocatedResource())
            .collect(Collectors.joining(", "));
    String nodes =
        hadoop.client().getNodeReports().stream()
            .map(
                n ->
                    n.getNodeId()
                        + " "
                        + n.getNodeLabels()
                        + " "
                        + n.getCapability()
                        + " used "
                        + n.getUsed())
            .collect(Collectors.joining(", "));
    assertThatThrownBy(
            () ->
                TFCluster.builder(spark)
                    .numExecutors(REQUESTED_EXECUTORS)
                    .reservationTimeout(timeout)
                    .nodeJavaOptions("-Xmx256m")
                    .run(ctx -> {}))
        .as("containers: %s; nodes: %s", granted, nodes)
        .isInstanceOf(TFClusterException.class)
        .hasMessageContaining("Cannot start cluster: 3 executor task slots available, 4 requested")
        .hasMessageContaining("YARN granted 3 of spark.executor.instances=4 executors")
        .hasMessageContaining("queue CPU_Q");
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    assertThat(elapsed).isBetween(timeout, timeout.plusSeconds(30));
    // YARN really could not grant the fourth executor: the AM and three executors run.
    assertThat(hadoop.containers(ApplicationId.fromString(spark.sparkContext().applicationId())))
        .hasSize(REQUESTED_EXECUTORS);
  }

  private static List<String> files(FileSystem fs, String dir) throws Exception {
    List<String> names = new java.util.ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(new org.apache.hadoop.fs.Path(dir), true);
    while (it.hasNext()) {
      FileStatus status = it.next();
      names.add(status.getPath().getName());
    }
    return names;
  }
}
