package org.sparktf.core.internal;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparktf.core.InputMode;

/**
 * Everything a node process needs: its place in the cluster, how to reach the driver, and the
 * user's serialized function. Built on the driver and shipped in the node job's closure; the
 * executor fills in its own part ({@link #onExecutor}) and hands it to the child process over the
 * child's standard input. {@link #toString()} never shows the secret.
 */
public final class NodeSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  final String clusterId;
  final long generation;
  final ClusterLayout layout;
  final String coordinatorHost;
  final int coordinatorPort;
  final byte[] secret;
  final InputMode inputMode;
  final String modelDir;
  final byte[] function;
  final Map<String, String> hadoopConf;
  final List<String> javaOptions;
  final long reservationTimeoutMillis;
  final long feedTimeoutMillis;
  final PortRange ports;
  final long livenessTimeoutMillis;
  final ThreadPools threadPools;
  // host:port of every TensorFlow server of earlier generations of this cluster: never reused.
  final Set<String> fencedAddresses;

  // Filled on the executor.
  int index = -1;
  String executorId;
  String host;
  List<String> gpus = List.of();
  String tmpDir;
  // The node's scratch directory, created by the executor so that it can delete it after the node's
  // process is gone however it ended.
  String localDir;
  // The loopback port of the executor's ClassServer for this node.
  int classServerPort;

  public NodeSpec(
      String clusterId,
      long generation,
      ClusterLayout layout,
      String coordinatorHost,
      int coordinatorPort,
      byte[] secret,
      InputMode inputMode,
      String modelDir,
      byte[] function,
      Map<String, String> hadoopConf,
      List<String> javaOptions,
      long reservationTimeoutMillis,
      long feedTimeoutMillis,
      PortRange ports,
      long livenessTimeoutMillis,
      ThreadPools threadPools,
      Set<String> fencedAddresses) {
    this.clusterId = clusterId;
    this.generation = generation;
    this.layout = layout;
    this.coordinatorHost = coordinatorHost;
    this.coordinatorPort = coordinatorPort;
    this.secret = secret.clone();
    this.inputMode = inputMode;
    this.modelDir = modelDir;
    this.function = function;
    this.hadoopConf = new LinkedHashMap<>(hadoopConf);
    this.javaOptions = new ArrayList<>(javaOptions);
    this.reservationTimeoutMillis = reservationTimeoutMillis;
    this.feedTimeoutMillis = feedTimeoutMillis;
    this.ports = ports;
    this.livenessTimeoutMillis = livenessTimeoutMillis;
    this.threadPools = threadPools;
    this.fencedAddresses = new LinkedHashSet<>(fencedAddresses);
  }

  /** A copy for one node, with what only the executor knows. */
  NodeSpec onExecutor(
      int index,
      String executorId,
      String host,
      List<String> gpus,
      String tmpDir,
      String localDir) {
    NodeSpec spec =
        new NodeSpec(
            clusterId,
            generation,
            layout,
            coordinatorHost,
            coordinatorPort,
            secret,
            inputMode,
            modelDir,
            function,
            hadoopConf,
            javaOptions,
            reservationTimeoutMillis,
            feedTimeoutMillis,
            ports,
            livenessTimeoutMillis,
            threadPools,
            fencedAddresses);
    spec.index = index;
    spec.executorId = executorId;
    spec.host = host;
    spec.gpus = List.copyOf(gpus);
    spec.tmpDir = tmpDir;
    spec.localDir = localDir;
    return spec;
  }

  String describe() {
    return layout.describe(index);
  }

  @Override
  public String toString() {
    return "NodeSpec{cluster="
        + clusterId
        + ", generation="
        + generation
        + ", node="
        + (index < 0 ? "?" : describe())
        + ", executor="
        + executorId
        + "}";
  }
}
