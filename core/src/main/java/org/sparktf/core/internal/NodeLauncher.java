package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.sparktf.core.TFClusterException;

/**
 * What a node task does on its executor: start the node's process, wait until the whole cluster has
 * registered, and leave the process to its supervisor. Returning frees the task's core (SPARK mode
 * feeds through it); the barrier stage around these tasks makes Spark run all of them at once, one
 * per task slot.
 */
public final class NodeLauncher {
  private NodeLauncher() {}

  /** The nodes of a cluster this executor JVM runs. */
  public static java.util.Set<Integer> localNodes(String clusterId) {
    return NodeRegistry.local(clusterId);
  }

  /** Starts node {@code index} of the cluster described by {@code template}. */
  public static void start(NodeSpec template, int index) {
    SparkEnv env = SparkEnv.get();
    String executorId = env.executorId();
    boolean localMode = "driver".equals(executorId);
    if (!localMode && !NodeRegistry.local(template.clusterId).isEmpty()) {
      throw CoreErrors.twoNodesOnOneExecutor(executorId, template.layout.describe(index));
    }
    String tmpDir = System.getProperty("java.io.tmpdir");
    Path localDir;
    try {
      localDir = Files.createTempDirectory(Paths.get(tmpDir), "sparktf-node-");
    } catch (IOException e) {
      throw new TFClusterException(
          "Cannot start TensorFlow node "
              + template.layout.describe(index)
              + ": cannot create its local directory in "
              + tmpDir
              + ": "
              + e.getMessage(),
          e);
    }
    NodeSpec spec =
        template.onExecutor(
            index,
            executorId,
            env.blockManager().blockManagerId().host(),
            gpus(TaskContext.get()),
            tmpDir,
            localDir.toString());
    NodeProcess node;
    try {
      node = NodeProcess.launch(spec);
    } catch (IOException e) {
      NodeRuntime.deleteRecursively(localDir);
      throw new TFClusterException(
          "Cannot start TensorFlow node " + spec.describe() + ": " + e.getMessage(), e);
    }
    NodeRegistry.add(spec.clusterId, index, node);
    try {
      awaitCluster(spec);
    } catch (RuntimeException e) {
      node.kill();
      throw new TFClusterException(
          e.getMessage() + "\nOutput of node " + spec.describe() + ":\n" + node.output(), e);
    }
  }

  private static void awaitCluster(NodeSpec spec) {
    // The driver answers once every node registered, or with the reason it gave up.
    int timeout = (int) Math.min(Integer.MAX_VALUE, spec.reservationTimeoutMillis + 60_000L);
    try (ControlChannel driver =
        ControlChannel.connect(
            spec.coordinatorHost,
            spec.coordinatorPort,
            spec.secret,
            ControlChannel.HANDSHAKE_TIMEOUT_MILLIS)) {
      driver.send(ControlChannel.message("await").put("index", spec.index));
      driver.readTimeout(timeout);
      ObjectNode answer = driver.receive();
      if (!"cluster".equals(answer.path("type").asText())) {
        throw new TFClusterException(
            "Cannot start TensorFlow node "
                + spec.describe()
                + ": "
                + answer.path("message").asText());
      }
    } catch (SocketTimeoutException e) {
      throw new TFClusterException(
          "Cannot start TensorFlow node "
              + spec.describe()
              + ": the cluster did not assemble within "
              + timeout
              + " ms");
    } catch (IOException e) {
      throw new TFClusterException(
          "Cannot start TensorFlow node " + spec.describe() + ": lost the driver (" + e + ")", e);
    }
  }

  private static List<String> gpus(TaskContext task) {
    List<String> ids = new ArrayList<>();
    if (task != null) {
      scala.Option<ResourceInformation> gpu = task.resources().get("gpu");
      if (gpu.isDefined()) {
        ids.addAll(List.of(gpu.get().addresses()));
      }
    }
    return ids;
  }
}
