package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.Leaks;
import org.sparktf.core.TFCluster;
import org.sparktf.core.TestSpark;

/**
 * The GPU partition of the reference architecture on real YARN: a NodeManager advertising two
 * {@code yarn.io/gpu} through YARN's GPU plugin, labelled GPU, behind queue GPU_Q. A Spark job that
 * asks for one GPU per executor and per task runs its executors in the GPU partition, and each
 * TensorFlow node's process sees exactly the GPU Spark assigned to its task. CPU jobs never land on
 * the GPU node.
 *
 * <p>YARN grants each executor's container one {@code yarn.io/gpu}: the ResourceManager counts the
 * node's two GPUs as used while the job runs and none after, and only the GPU node can hold such a
 * container (the mini cluster's own GPU-labelled NodeManager has no GPUs).
 *
 * <p>Executors discover their GPU with a script that claims one free GPU for its container: it
 * stands in for YARN's GPU isolation (cgroups devices or Docker, which need the
 * LinuxContainerExecutor), under which a container's nvidia-smi shows only YARN's assignment.
 */
@ExtendWith(SharedHadoop.class)
class GpuQueueTest {
  @TempDir static Path dir;
  private static MiniHadoop hadoop;
  private static GpuNodeManager gpuNode;
  private static Path gpuConf;
  private SparkSession spark;

  /** The shared clusters: SharedHadoop starts them with the GPU node (GPU_NODE_MEMORY_MB). */
  @BeforeAll
  static void useClusters(SharedHadoop shared) {
    hadoop = shared.hadoop();
    gpuNode = shared.gpuNode();
    gpuConf = shared.gpuConf();
  }

  @AfterEach
  void stopSpark() {
    TestSpark.stop(spark);
    Leaks.assertNoNodeProcessesOrThreadsUnderExecutors();
  }

  @Test
  void eachNodeOfAGpuJobSeesOnlyTheGpuSparkAssignedToItsTask() throws Exception {
    Map<String, String> gpu = new HashMap<>();
    gpu.put("spark.executor.resource.gpu.amount", "1");
    gpu.put("spark.task.resource.gpu.amount", "1");
    gpu.put("spark.executor.resource.gpu.discoveryScript", discoveryScript().toString());
    gpu.putAll(GpuNodeManager.sparkConf(gpuConf));
    spark = session("GPU_Q", 2, gpu);
    TestSpark.awaitExecutors(spark, 2, Duration.ofMinutes(3));

    Path modelDir = dir.resolve("gpu-model");
    TFCluster cluster = TestSpark.tensorflowCluster(spark, modelDir, 2, 0).run(new GpuReport());
    cluster.shutdown();

    Map<String, String> visible = new HashMap<>();
    for (String worker : List.of("worker-0", "worker-1")) {
      List<String> report = Files.readAllLines(modelDir.resolve("gpus-" + worker));
      String cudaVisible = report.get(0).substring("CUDA_VISIBLE_DEVICES=".length());
      String assigned = report.get(1).substring("gpus=".length());
      assertThat(assigned).as("the GPU Spark assigned to %s's task", worker).matches("[01]");
      assertThat(cudaVisible)
          .as("CUDA_VISIBLE_DEVICES of %s's process", worker)
          .isEqualTo(assigned);
      visible.put(worker, cudaVisible);
    }
    assertThat(Set.copyOf(visible.values())).as("GPUs of the two nodes").hasSize(2);

    // YARN's accounting: each executor's container holds one of the GPU node's GPUs, so the GPU
    // node (the only node with GPUs) runs both, and the node's two GPUs are in use.
    List<ContainerReport> executors = executors(appId());
    assertThat(executors).hasSize(2);
    for (ContainerReport executor : executors) {
      assertThat(executor.getAssignedNode())
          .as("node of %s", executor.getContainerId())
          .isEqualTo(gpuNode.nodeId());
      assertThat(executor.getAllocatedResource().getResourceValue(GpuNodeManager.GPU_RESOURCE))
          .as("GPUs YARN granted to %s", executor.getContainerId())
          .isEqualTo(1);
    }
    assertThat(gpuNode.awaitGpusUsed(hadoop, GpuNodeManager.GPUS, Duration.ofSeconds(30)))
        .as("GPUs in use on the GPU node while the job runs")
        .isEqualTo(GpuNodeManager.GPUS);

    TestSpark.stop(spark);
    spark = null;
    assertThat(gpuNode.awaitGpusUsed(hadoop, 0, Duration.ofMinutes(1)))
        .as("GPUs in use on the GPU node after the job")
        .isZero();
  }

  @Test
  void aCpuJobNeverLandsOnTheGpuNodeEvenWhenTheCpuNodesAreFull() throws Exception {
    // The CPU partition (2 × 2 GiB) holds the AM and three executors; the GPU node has room for
    // three more, but its label is exclusive.
    spark = session("CPU_Q", 4, Map.of());
    TestSpark.awaitExecutors(spark, 3, Duration.ofMinutes(3));
    TFCluster cluster =
        TestSpark.tensorflowCluster(spark, dir.resolve("cpu-model"), 1, 0).run(new GpuReport());
    cluster.shutdown();

    List<ContainerReport> containers = hadoop.containers(appId());
    Set<NodeId> nodes =
        containers.stream().map(ContainerReport::getAssignedNode).collect(Collectors.toSet());
    assertThat(containers).hasSize(4);
    assertThat(hadoop.cpuNodes()).containsAll(nodes);
    assertThat(nodes).doesNotContain(gpuNode.nodeId());
    assertThat(Files.readAllLines(dir.resolve("cpu-model").resolve("gpus-worker-0")))
        .containsExactly("CUDA_VISIBLE_DEVICES=-1", "gpus=");
  }

  private SparkSession session(String queue, int executors, Map<String, String> extra) {
    SparkSession.Builder builder = SparkSession.builder().appName("SparkTF " + queue + " test");
    // The node function (GpuReport) comes from this module's test classes.
    SparkOnYarn.conf(
            hadoop,
            queue,
            executors,
            SparkOnYarn.yarnJars(
                entry ->
                    !SparkOnYarn.isTestOnly(entry)
                        || new File(entry).getName().equals("test-classes")))
        .forEach(builder::config);
    extra.forEach(builder::config);
    return builder.getOrCreate();
  }

  private ApplicationId appId() {
    return ApplicationId.fromString(spark.sparkContext().applicationId());
  }

  /** The containers of an application but its AM (always container 1 of the attempt). */
  private static List<ContainerReport> executors(ApplicationId app) throws Exception {
    return hadoop.containers(app).stream()
        .filter(c -> c.getContainerId().getContainerId() != 1)
        .collect(Collectors.toList());
  }

  /**
   * Spark's GPU discovery script for an executor on the GPU node: claims one GPU the node's other
   * containers have not claimed (an atomic mkdir) and prints it as Spark's ResourceInformation
   * JSON.
   */
  private static Path discoveryScript() throws Exception {
    Path claims = Files.createDirectories(dir.resolve("gpu-claims"));
    Path script = dir.resolve("discover-gpu.sh");
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "for id in $(seq 0 "
            + (GpuNodeManager.GPUS - 1)
            + "); do\n"
            + "  if mkdir '"
            + claims
            + "'/$id 2>/dev/null; then\n"
            + "    echo \"$CONTAINER_ID\" > '"
            + claims
            + "'/$id/container\n"
            + "    echo \"{\\\"name\\\": \\\"gpu\\\", \\\"addresses\\\": [\\\"$id\\\"]}\"\n"
            + "    exit 0\n"
            + "  fi\n"
            + "done\n"
            + "echo \"Cannot discover a GPU: all "
            + GpuNodeManager.GPUS
            + " GPUs of this node are claimed\" >&2\n"
            + "exit 1\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }
}
