package org.sparktf.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.api.ResourceManagerAdministrationProtocol;
import org.apache.hadoop.yarn.server.api.protocolrecords.ReplaceLabelsOnNodeRequest;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;

/**
 * A GPU node joining {@link MiniHadoop}'s ResourceManager: a NodeManager of its own, because
 * MiniYARNCluster gives all its NodeManagers one configuration. It runs YARN's GPU resource plugin,
 * whose discovery runs a stand-in {@code nvidia-smi} that prints the XML of {@link #GPUS} GPUs, so
 * the node advertises {@code yarn.io/gpu=2}; it carries the exclusive node label GPU.
 *
 * <p>The containers run under the DefaultContainerExecutor: YARN schedules the GPUs but cannot
 * isolate them (that needs the LinuxContainerExecutor's setuid binary and cgroups, or Docker).
 */
final class GpuNodeManager implements AutoCloseable {
  static final String GPU_RESOURCE = "yarn.io/gpu";
  static final int GPUS = 2;
  private static final String RESOURCE_TYPES_XML = "resource-types.xml";

  private final NodeManager nodeManager;
  private final NodeId nodeId;

  private GpuNodeManager(NodeManager nodeManager, NodeId nodeId) {
    this.nodeManager = nodeManager;
    this.nodeId = nodeId;
  }

  /**
   * What a GPU cluster's ResourceManager needs: {@code yarn.io/gpu} declared in a {@code
   * resource-types.xml} (written to {@code confDir}; see {@link #sparkConf(Path)} for the
   * application master's copy), and a resource calculator that counts more than memory: the
   * CapacityScheduler's default one normalizes every request to memory alone, dropping the GPUs.
   * MiniYARNCluster re-reads the resource types from this configuration when it starts ({@code
   * ResourceUtils.resetResourceTypes}, a JVM-wide table its ResourceManager, NodeManagers and the
   * test's YARN client share).
   */
  static void declareGpuResource(YarnConfiguration conf, Path confDir) {
    try {
      Files.createDirectories(confDir);
      Files.writeString(
          confDir.resolve(RESOURCE_TYPES_XML),
          "<configuration><property><name>yarn.resource-types</name><value>"
              + GPU_RESOURCE
              + "</value></property></configuration>\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(
          "Cannot write " + RESOURCE_TYPES_XML + ": " + e.getMessage(), e);
    }
    conf.addResource(new org.apache.hadoop.fs.Path(confDir.resolve(RESOURCE_TYPES_XML).toUri()));
    conf.set(
        "yarn.scheduler.capacity.resource-calculator",
        "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator");
  }

  /**
   * Spark settings a GPU job on this cluster needs besides its GPU amounts: the application master
   * (Spark's YarnAllocator) turns {@code spark.executor.resource.gpu.amount} into a {@code
   * yarn.io/gpu} container request only when its own JVM knows that resource type, which it reads
   * from {@code resource-types.xml} on its classpath; otherwise it logs "YARN doesn't know about
   * resource yarn.io/gpu" and asks for memory and cores alone. A real client ships its
   * HADOOP_CONF_DIR (with that file) to the AM; this JVM has none, so the file travels as {@code
   * --files} into the AM's working directory, the first entry of its classpath.
   */
  static Map<String, String> sparkConf(Path confDir) {
    return Map.of("spark.yarn.dist.files", confDir.resolve(RESOURCE_TYPES_XML).toUri().toString());
  }

  /** Starts the node with {@code memoryMb}, labels it GPU and waits until it offers its GPUs. */
  static GpuNodeManager start(MiniHadoop hadoop, Path baseDir, int memoryMb) throws Exception {
    Path nvidiaSmi = writeNvidiaSmi(baseDir.resolve("gpu-node-bin"));
    YarnConfiguration conf = new YarnConfiguration(hadoop.conf());
    String host = MiniYARNCluster.getHostname();
    for (String address :
        List.of(
            YarnConfiguration.NM_ADDRESS,
            YarnConfiguration.NM_LOCALIZER_ADDRESS,
            YarnConfiguration.NM_WEBAPP_ADDRESS,
            YarnConfiguration.NM_COLLECTOR_SERVICE_ADDRESS)) {
      conf.set(address, host + ":0");
    }
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, baseDir.resolve("gpu-node-local").toString());
    conf.set(YarnConfiguration.NM_LOG_DIRS, baseDir.resolve("gpu-node-logs").toString());
    conf.setInt(YarnConfiguration.NM_PMEM_MB, memoryMb);
    conf.setBoolean(YarnConfiguration.NM_RECOVERY_ENABLED, false);
    conf.set(YarnConfiguration.NM_RESOURCE_PLUGINS, GPU_RESOURCE);
    // Its directory: Hadoop 3.3.4 refuses a path to a file named nvidia-smi (an inverted name check
    // in GpuDiscoverer.lookUpAutoDiscoveryBinary) but looks for nvidia-smi in a directory given.
    conf.set(YarnConfiguration.NM_GPU_PATH_TO_EXEC, nvidiaSmi.getParent().toString());
    conf.set(
        YarnConfiguration.NM_GPU_ALLOWED_DEVICES,
        YarnConfiguration.AUTOMATICALLY_DISCOVER_GPU_DEVICES);
    NodeManager nodeManager = new NodeManager();
    nodeManager.init(conf);
    nodeManager.start();
    GpuNodeManager node = null;
    try {
      NodeId nodeId = nodeManager.getNMContext().getNodeId();
      node = new GpuNodeManager(nodeManager, nodeId);
      ResourceManagerAdministrationProtocol admin =
          ClientRMProxy.createRMProxy(hadoop.conf(), ResourceManagerAdministrationProtocol.class);
      admin.replaceLabelsOnNode(
          ReplaceLabelsOnNodeRequest.newInstance(Map.of(nodeId, Set.of("GPU"))));
      node.awaitGpus(hadoop);
      return node;
    } catch (Exception | Error e) {
      nodeManager.stop();
      throw e;
    }
  }

  /**
   * nvidia-smi's {@code -x -q} output, as YARN's GpuDeviceInformationParser reads it: minor
   * numbers, product, memory, utilization and temperature of each GPU.
   */
  private static Path writeNvidiaSmi(Path dir) throws IOException {
    StringBuilder xml = new StringBuilder();
    xml.append("<?xml version=\"1.0\" ?>\n<nvidia_smi_log>\n")
        .append("  <driver_version>535.104.12</driver_version>\n")
        .append("  <attached_gpus>")
        .append(GPUS)
        .append("</attached_gpus>\n");
    for (int i = 0; i < GPUS; i++) {
      xml.append("  <gpu id=\"00000000:0")
          .append(i + 1)
          .append(":00.0\">\n")
          .append("    <product_name>SparkTF Test GPU</product_name>\n")
          .append("    <uuid>GPU-00000000-0000-0000-0000-00000000000")
          .append(i)
          .append("</uuid>\n")
          .append("    <minor_number>")
          .append(i)
          .append("</minor_number>\n")
          .append("    <fb_memory_usage><total>16384 MiB</total><used>0 MiB</used>")
          .append("<free>16384 MiB</free></fb_memory_usage>\n")
          .append("    <utilization><gpu_util>0 %</gpu_util></utilization>\n")
          .append("    <temperature><gpu_temp>30 C</gpu_temp>")
          .append("<gpu_temp_max_threshold>90 C</gpu_temp_max_threshold>")
          .append("<gpu_temp_slow_threshold>85 C</gpu_temp_slow_threshold></temperature>\n")
          .append("  </gpu>\n");
    }
    xml.append("</nvidia_smi_log>\n");
    Files.createDirectories(dir);
    Path script = dir.resolve("nvidia-smi");
    // YARN runs "nvidia-smi -x -q"; anything else is a misuse of the stand-in.
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "if [ \"$1 $2\" != \"-x -q\" ]; then echo \"unsupported: $*\" >&2; exit 2; fi\n"
            + "cat <<'XML'\n"
            + xml
            + "XML\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  private void awaitGpus(MiniHadoop hadoop) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    NodeReport last = null;
    while (System.nanoTime() < deadline) {
      last = report(hadoop);
      if (last != null
          && last.getNodeLabels().contains("GPU")
          && last.getCapability().getResourceValue(GPU_RESOURCE) == GPUS) {
        return;
      }
      pause();
    }
    throw new IllegalStateException(
        "Cannot start the GPU node: "
            + nodeId
            + " did not offer "
            + GPUS
            + " GPUs with label GPU within 2 minutes: "
            + last);
  }

  /**
   * Waits until the ResourceManager counts {@code gpus} of this node's GPUs as used by containers
   * and returns that count, or the last count seen once {@code timeout} has passed.
   */
  long awaitGpusUsed(MiniHadoop hadoop, long gpus, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      NodeReport report = report(hadoop);
      long used = report == null ? -1 : report.getUsed().getResourceValue(GPU_RESOURCE);
      if (used == gpus || System.nanoTime() > deadline) {
        return used;
      }
      pause();
    }
  }

  private NodeReport report(MiniHadoop hadoop) throws Exception {
    for (NodeReport report : hadoop.client().getNodeReports(NodeState.RUNNING)) {
      if (report.getNodeId().equals(nodeId)) {
        return report;
      }
    }
    return null;
  }

  private synchronized void pause() throws InterruptedException {
    wait(200);
  }

  NodeId nodeId() {
    return nodeId;
  }

  @Override
  public void close() {
    nodeManager.stop();
  }
}
