package org.sparktf.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The one plain {@link MiniHadoop} (HDFS, YARN with the CPU and GPU partitions, and the {@link
 * GpuNodeManager} that advertises {@code yarn.io/gpu}) every plain test class of this module
 * shares: starting it for each class cost each class its own cluster start and stop. A class gets
 * it as a parameter of its {@code @BeforeAll} method under {@code @ExtendWith(SharedHadoop.class)}.
 * It starts with the first class that asks and stops when JUnit closes the root context's store, at
 * the end of the test JVM's run.
 *
 * <p>Each class keeps its own HDFS paths and application names and checks for leaks of its own
 * applications only. Before handing the cluster to a class this waits until it is idle (no
 * application running, no container on any node), so one class starts as on a fresh cluster even
 * after an earlier class failed and left an application running.
 */
final class SharedHadoop implements ParameterResolver, ExtensionContext.Store.CloseableResource {
  /** The GPU node's memory: the AM and the two GPU executors of GpuQueueTest fit. */
  static final int GPU_NODE_MEMORY_MB = 3 * MiniHadoop.CONTAINER_MB;

  private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedHadoop.class);

  private final Path baseDir;
  private final MiniHadoop hadoop;
  private final GpuNodeManager gpuNode;

  /** For JUnit: the extension instance; the clusters are the instance in the root store. */
  SharedHadoop() {
    this.baseDir = null;
    this.hadoop = null;
    this.gpuNode = null;
  }

  private SharedHadoop(Path baseDir, MiniHadoop hadoop, GpuNodeManager gpuNode) {
    this.baseDir = baseDir;
    this.hadoop = hadoop;
    this.gpuNode = gpuNode;
  }

  private static SharedHadoop start() {
    Path baseDir = null;
    MiniHadoop hadoop = null;
    try {
      baseDir = Files.createTempDirectory("sparktf-shared-hadoop");
      // Once per test JVM: the test output shows whether the classes really shared it.
      System.out.println("Starting the shared mini clusters in " + baseDir);
      Path confDir = gpuConf(baseDir);
      hadoop = MiniHadoop.start(baseDir, conf -> GpuNodeManager.declareGpuResource(conf, confDir));
      GpuNodeManager gpuNode = GpuNodeManager.start(hadoop, baseDir, GPU_NODE_MEMORY_MB);
      return new SharedHadoop(baseDir, hadoop, gpuNode);
    } catch (Exception e) {
      if (hadoop != null) {
        hadoop.close();
      }
      deleteQuietly(baseDir);
      throw new IllegalStateException("Cannot start the shared mini clusters: " + e, e);
    }
  }

  private static Path gpuConf(Path baseDir) {
    return baseDir.resolve("gpu-conf");
  }

  /** HDFS, YARN and the plain NodeManagers. */
  MiniHadoop hadoop() {
    return hadoop;
  }

  /** The NodeManager that advertises {@link GpuNodeManager#GPUS} GPUs, labelled GPU. */
  GpuNodeManager gpuNode() {
    return gpuNode;
  }

  /**
   * The directory with the ResourceManager's {@code resource-types.xml}: an application master that
   * asks for {@code yarn.io/gpu} needs it on its class path.
   */
  Path gpuConf() {
    return gpuConf(baseDir);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == SharedHadoop.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    SharedHadoop shared =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(SharedHadoop.class, key -> start(), SharedHadoop.class);
    try {
      shared.awaitIdle();
    } catch (Exception e) {
      throw new IllegalStateException(
          "Cannot hand the shared mini clusters to " + context.getDisplayName() + ": " + e, e);
    }
    return shared;
  }

  /**
   * Kills what an earlier class left running and waits until no node runs a container, so that a
   * class sees the whole capacity of every partition.
   */
  private void awaitIdle() throws Exception {
    EnumSet<YarnApplicationState> live =
        EnumSet.complementOf(
            EnumSet.of(
                YarnApplicationState.FINISHED,
                YarnApplicationState.FAILED,
                YarnApplicationState.KILLED));
    for (ApplicationReport app : hadoop.client().getApplications(live)) {
      hadoop.client().killApplication(app.getApplicationId());
    }
    long deadline = System.nanoTime() + IDLE_TIMEOUT.toNanos();
    while (true) {
      List<NodeReport> busy =
          hadoop.client().getNodeReports(NodeState.RUNNING).stream()
              .filter(n -> n.getNumContainers() > 0)
              .collect(Collectors.toList());
      List<ApplicationReport> running = hadoop.client().getApplications(live);
      if (busy.isEmpty() && running.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the cluster is not idle after "
                + IDLE_TIMEOUT
                + ": applications "
                + running.stream()
                    .map(a -> a.getApplicationId() + " " + a.getYarnApplicationState())
                    .collect(Collectors.toList())
                + ", nodes with containers "
                + busy.stream()
                    .map(n -> n.getNodeId() + " " + n.getNumContainers())
                    .collect(Collectors.toList()));
      }
      LockSupport.parkNanos(200_000_000L);
    }
  }

  /** Stops the GPU node, YARN and HDFS and deletes their directories. */
  @Override
  public void close() {
    try {
      gpuNode.close();
    } finally {
      try {
        hadoop.close();
      } finally {
        deleteQuietly(baseDir);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      System.err.println("Cannot delete " + dir + ": " + e.getMessage());
    }
  }
}
