package org.sparktf.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerReport;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.NodeLabel;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.api.ResourceManagerAdministrationProtocol;
import org.apache.hadoop.yarn.server.api.protocolrecords.AddToClusterNodeLabelsRequest;
import org.apache.hadoop.yarn.server.api.protocolrecords.ReplaceLabelsOnNodeRequest;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;

/**
 * A real HDFS (one DataNode) and a real YARN (CapacityScheduler, three NodeManagers) in this JVM,
 * set up like the HPE reference architecture: exclusive node labels CPU and GPU, queues CPU_Q and
 * GPU_Q, each bound to its label. NodeManagers 0 and 1 are labelled CPU, NodeManager 2 GPU. Every
 * NodeManager offers {@link #NODE_MEMORY_MB}, room for two 1 GiB containers.
 */
final class MiniHadoop implements AutoCloseable {
  static final int NODE_MEMORY_MB = 2048;
  static final int CONTAINER_MB = 1024;
  private static final int NODE_MANAGERS = 3;

  private final Path baseDir;
  private final MiniDFSCluster dfs;
  private final MiniYARNCluster yarn;
  private final YarnClient client;
  private final Set<NodeId> cpuNodes = new HashSet<>();
  private final Set<NodeId> gpuNodes = new HashSet<>();

  private MiniHadoop(Path baseDir, MiniDFSCluster dfs, MiniYARNCluster yarn, YarnClient client) {
    this.baseDir = baseDir;
    this.dfs = dfs;
    this.yarn = yarn;
    this.client = client;
  }

  static MiniHadoop start(Path baseDir) throws Exception {
    return start(baseDir, conf -> {});
  }

  /** The same, with {@code extraConf} applied to YARN's configuration before YARN starts. */
  static MiniHadoop start(Path baseDir, Consumer<YarnConfiguration> extraConf) throws Exception {
    Configuration hdfsConf = new Configuration();
    hdfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.resolve("hdfs").toString());
    MiniDFSCluster dfs = new MiniDFSCluster.Builder(hdfsConf).numDataNodes(1).build();
    dfs.waitActive();
    MiniYARNCluster yarn = null;
    YarnClient client = null;
    try {
      YarnConfiguration conf = yarnConf(dfs, baseDir);
      extraConf.accept(conf);
      yarn = new MiniYARNCluster("sparktf-it", NODE_MANAGERS, 1, 1);
      yarn.init(conf);
      yarn.start();
      client = YarnClient.createYarnClient();
      client.init(yarn.getConfig());
      client.start();
      MiniHadoop hadoop = new MiniHadoop(baseDir, dfs, yarn, client);
      hadoop.labelNodes();
      return hadoop;
    } catch (Exception | Error e) {
      if (client != null) {
        client.stop();
      }
      if (yarn != null) {
        yarn.stop();
      }
      dfs.shutdown();
      throw e;
    }
  }

  private static YarnConfiguration yarnConf(MiniDFSCluster dfs, Path baseDir) {
    YarnConfiguration conf = new YarnConfiguration(dfs.getConfiguration(0));
    conf.set(
        YarnConfiguration.RM_SCHEDULER,
        "org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler");
    // MiniYARNCluster gives its NodeManagers this memory, whatever NM_PMEM_MB says.
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, NODE_MEMORY_MB);
    conf.setInt(YarnConfiguration.NM_VCORES, 4);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, CONTAINER_MB);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, NODE_MEMORY_MB);
    // TensorFlow's native memory and the node's child JVM count against the container's process
    // tree; the tests size containers for scheduling, not for enforcement.
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    // Containers are granted, and kills and completions reported, on NodeManager heartbeats:
    // every 250 ms instead of YARN's 1 s shortens every application's start, restart and end.
    conf.setLong(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, 250);
    // A busy CI disk must not mark the NodeManagers unhealthy.
    conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
    conf.set(YarnConfiguration.NM_LOCAL_DIRS, baseDir.resolve("nm-local").toString());
    conf.set(YarnConfiguration.NM_LOG_DIRS, baseDir.resolve("nm-logs").toString());
    // Node labels, kept on HDFS like the reference's yarn.node-labels.fs-store.root-dir.
    conf.setBoolean(YarnConfiguration.NODE_LABELS_ENABLED, true);
    conf.set(
        YarnConfiguration.FS_NODE_LABELS_STORE_ROOT_DIR,
        dfs.getURI().toString() + "/yarn/node-labels");
    capacityScheduler(conf);
    return conf;
  }

  /** The reference architecture's capacity-scheduler lines: one queue per node partition. */
  private static void capacityScheduler(Configuration conf) {
    String root = "yarn.scheduler.capacity.root";
    conf.set(root + ".queues", "CPU_Q,GPU_Q");
    conf.set(root + ".accessible-node-labels", "*");
    conf.set(root + ".acl.administer_queue", "*");
    for (String label : List.of("CPU", "GPU")) {
      conf.set(root + ".accessible-node-labels." + label + ".capacity", "100");
      conf.set(root + ".accessible-node-labels." + label + ".maximum-capacity", "100");
      String queue = root + "." + label + "_Q";
      conf.set(queue + ".capacity", "50");
      conf.set(queue + ".maximum-capacity", "100");
      conf.set(queue + ".accessible-node-labels", label);
      conf.set(queue + ".accessible-node-labels." + label + ".capacity", "100");
      conf.set(queue + ".accessible-node-labels." + label + ".maximum-capacity", "100");
      conf.set(queue + ".default-node-label-expression", label);
      conf.set(queue + ".acl.submit_applications", "*");
      conf.set(queue + ".acl.administer_queue", "*");
      conf.set(queue + ".state", "RUNNING");
      conf.set(queue + ".user-limit-factor", "1");
      // A test application's AM may take the whole partition's AM share.
      conf.set(queue + ".maximum-am-resource-percent", "1.0");
    }
  }

  /**
   * Like {@code yarn rmadmin -addToClusterNodeLabels "GPU[exclusive=true],CPU[exclusive=true]"} and
   * {@code -replaceLabelsOnNode}: through the ResourceManager's admin protocol.
   */
  private void labelNodes() throws Exception {
    List<NodeId> nodes = new ArrayList<>();
    for (int i = 0; i < NODE_MANAGERS; i++) {
      NodeManager nm = yarn.getNodeManager(i);
      nodes.add(nm.getNMContext().getNodeId());
    }
    ResourceManagerAdministrationProtocol admin =
        ClientRMProxy.createRMProxy(conf(), ResourceManagerAdministrationProtocol.class);
    admin.addToClusterNodeLabels(
        AddToClusterNodeLabelsRequest.newInstance(
            List.of(NodeLabel.newInstance("CPU", true), NodeLabel.newInstance("GPU", true))));
    Map<NodeId, Set<String>> labels = new LinkedHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      String label = i < NODE_MANAGERS - 1 ? "CPU" : "GPU";
      labels.put(nodes.get(i), Set.of(label));
      (label.equals("CPU") ? cpuNodes : gpuNodes).add(nodes.get(i));
    }
    admin.replaceLabelsOnNode(ReplaceLabelsOnNodeRequest.newInstance(labels));
    awaitRunningNodes();
  }

  private void awaitRunningNodes() throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      List<NodeReport> running = client.getNodeReports(NodeState.RUNNING);
      long labelled = running.stream().filter(r -> !r.getNodeLabels().isEmpty()).count();
      if (labelled == NODE_MANAGERS) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cannot start YARN: "
                + labelled
                + " of "
                + NODE_MANAGERS
                + " labelled nodes running: "
                + running);
      }
      synchronized (this) {
        wait(200);
      }
    }
  }

  /** The clusters' client configuration: fs.defaultFS and the ResourceManager's addresses. */
  Configuration conf() {
    return yarn.getConfig();
  }

  FileSystem fs() throws IOException {
    return dfs.getFileSystem();
  }

  String hdfs(String path) {
    return dfs.getURI().toString() + path;
  }

  YarnClient client() {
    return client;
  }

  Set<NodeId> cpuNodes() {
    return cpuNodes;
  }

  Set<NodeId> gpuNodes() {
    return gpuNodes;
  }

  /**
   * What a client needs to reach these clusters: fs.defaultFS and the ResourceManager's addresses.
   * The clusters' own configuration names test-only classes (StaticMapping) and must not travel.
   */
  Configuration clientConf() {
    Configuration client = new Configuration(false);
    for (Map.Entry<String, String> e : conf()) {
      String key = e.getKey();
      if (key.equals("fs.defaultFS")
          || (key.startsWith("yarn.resourcemanager.") && key.endsWith("address"))) {
        client.set(key, conf().get(key));
      }
    }
    return client;
  }

  /** {@link #clientConf()} as {@code spark.hadoop.*} settings. */
  Map<String, String> sparkHadoopConf() {
    Map<String, String> entries = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : clientConf()) {
      entries.put("spark.hadoop." + e.getKey(), e.getValue());
    }
    return entries;
  }

  /** A HADOOP_CONF_DIR for processes outside this JVM (spark-submit). */
  Path writeConfDir() throws IOException {
    Path dir = Files.createDirectories(baseDir.resolve("hadoop-conf"));
    for (String file : List.of("core-site.xml", "yarn-site.xml")) {
      try (OutputStream out = Files.newOutputStream(dir.resolve(file))) {
        clientConf().writeXml(out);
      }
    }
    return dir;
  }

  /** Every NodeManager's local directories (where containers run and localize their files). */
  List<Path> localDirs() {
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < NODE_MANAGERS; i++) {
      yarn.getNodeManager(i).getNMContext().getLocalDirsHandler().getLocalDirs().stream()
          .map(d -> Path.of(java.net.URI.create(d).getPath()))
          .forEach(dirs::add);
    }
    return dirs;
  }

  /**
   * A container's log file ({@code stdout}, {@code stderr}) as its NodeManager keeps it (log
   * aggregation is off), or "" while there is none yet.
   */
  String containerLog(ContainerId container, String file) throws IOException {
    String app = container.getApplicationAttemptId().getApplicationId().toString();
    for (int i = 0; i < NODE_MANAGERS; i++) {
      for (String dir : yarn.getNodeManager(i).getNMContext().getLocalDirsHandler().getLogDirs()) {
        Path log = Path.of(java.net.URI.create(dir).getPath(), app, container.toString(), file);
        if (Files.exists(log)) {
          return Files.readString(log, java.nio.charset.StandardCharsets.UTF_8);
        }
      }
    }
    return "";
  }

  /** The containers an application holds now, each with the node it runs on. */
  List<ContainerReport> containers(ApplicationId app) throws Exception {
    List<ContainerReport> containers = new ArrayList<>();
    for (ApplicationAttemptReport attempt : client.getApplicationAttempts(app)) {
      containers.addAll(client.getContainers(attempt.getApplicationAttemptId()));
    }
    return containers;
  }

  @Override
  public void close() {
    if (client != null) {
      client.stop();
    }
    yarn.stop();
    dfs.shutdown();
  }
}
