package org.sparktf.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.internal.CheckpointStore;
import org.sparktf.core.internal.ClusterLayout;
import org.sparktf.core.internal.ControlChannel;
import org.sparktf.core.internal.Coordinator;
import org.sparktf.core.internal.CoreErrors;
import org.sparktf.core.internal.NodeAddress;
import org.sparktf.core.internal.NodeJob;
import org.sparktf.core.internal.NodeSpec;
import org.sparktf.core.internal.PortRange;
import org.sparktf.core.internal.feed.FeedPosition;

/**
 * One start of a cluster's nodes: its coordinator, the Spark job that launched the nodes, their
 * addresses and secret. A restart after a node loss replaces the whole generation (new id, secret
 * and ports), because a TensorFlow server cannot change its cluster once started.
 *
 * <p>Each generation has a number ({@link NodeContext#generation()}), higher than every generation
 * before it in this driver and on the model directory, where it is recorded before the nodes start:
 * from then on {@link Checkpoints} refuses the saves of older generations' nodes.
 *
 * <p>No generation's TensorFlow server reuses a host:port of an earlier one ({@code
 * fencedAddresses}): a node of an old generation that is still alive (frozen, or cut off) cannot
 * reach the new cluster, since TensorFlow's gRPC has no way to refuse it.
 */
final class ClusterGeneration {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterGeneration.class);

  /** The newest generation number this driver gave out: a restart's is always higher. */
  private static final AtomicLong LAST_NUMBER = new AtomicLong();

  final String id;
  final long number;
  final Coordinator coordinator;
  final NodeAddress[] nodes;
  final ClusterSpec clusterSpec;
  final byte[] secret;
  private final NodeJob nodeJob;
  private boolean released;

  private ClusterGeneration(
      String id,
      long number,
      Coordinator coordinator,
      NodeJob nodeJob,
      NodeAddress[] nodes,
      ClusterSpec clusterSpec,
      byte[] secret) {
    this.id = id;
    this.number = number;
    this.coordinator = coordinator;
    this.nodeJob = nodeJob;
    this.nodes = nodes;
    this.clusterSpec = clusterSpec;
    this.secret = secret;
  }

  /**
   * Starts one node per executor and returns once all registered.
   *
   * @throws TFClusterException when a node fails to start or the reservation times out
   */
  static ClusterGeneration start(
      SparkContext sc,
      TFCluster.Builder options,
      ClusterLayout layout,
      byte[] function,
      String id,
      Set<String> fencedAddresses,
      FeedPosition feedFrom) {
    SparkConf conf = sc.getConf();
    long number = nextNumber(sc.hadoopConfiguration(), options.modelDir);
    byte[] secret = ControlChannel.newSecret();
    String advertised = conf.get("spark.driver.host", "localhost");
    String bind = conf.get("spark.driver.bindAddress", advertised);
    PortRange ports = options.ports();
    Coordinator coordinator;
    try {
      coordinator =
          new Coordinator(layout, secret, bind, ports, options.livenessTimeout(sc).toMillis());
      coordinator.trackFeedFrom(feedFrom);
    } catch (IOException e) {
      throw new TFClusterException(
          "Cannot start cluster: cannot open the driver's port on " + bind + ": " + e.getMessage(),
          e);
    }
    NodeSpec template =
        new NodeSpec(
            id,
            number,
            layout,
            advertised,
            coordinator.port(),
            secret,
            options.inputMode,
            options.modelDir,
            function,
            hadoopConf(sc),
            options.nodeJavaOptions,
            options.reservationTimeout.toMillis(),
            options.feedTimeout.toMillis(),
            ports,
            options.livenessTimeout(sc).toMillis(),
            options.threadPools(conf),
            fencedAddresses);
    NodeJob nodeJob = NodeJob.submit(sc, template, coordinator);
    try {
      long timeout = options.reservationTimeout.toMillis();
      if (!coordinator.awaitRegistered(timeout) || coordinator.failure() != null) {
        throw coordinator.failure() != null && coordinator.registeredCount() == layout.numNodes()
            ? new TFClusterException("Cannot start cluster: " + coordinator.failure())
            : CoreErrors.reservationTimeout(
                coordinator.registeredCount(), layout.numNodes(), timeout, coordinator.failure());
      }
      NodeAddress[] nodes = coordinator.addresses();
      LOG.info(
          "TensorFlow cluster {} (generation {}) is up: {}", id, number, describe(layout, nodes));
      return new ClusterGeneration(
          id, number, coordinator, nodeJob, nodes, clusterSpec(layout, nodes), secret);
    } catch (InterruptedException | RuntimeException e) {
      coordinator.stopAll();
      nodeJob.cancel();
      coordinator.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new TFClusterException("Cannot start cluster: interrupted", e);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * The next generation's number: higher than this driver's last one and, when there is a model
   * directory, than every generation recorded there, where it is recorded in turn.
   */
  static long nextNumber(Configuration hadoopConf, String modelDir) {
    if (modelDir == null) {
      return LAST_NUMBER.incrementAndGet();
    }
    try {
      long number =
          new CheckpointStore(hadoopConf, modelDir).startGeneration(LAST_NUMBER.get() + 1);
      LAST_NUMBER.accumulateAndGet(number, Math::max);
      return number;
    } catch (IOException e) {
      throw new TFClusterException(
          "Cannot start cluster: cannot record its generation in "
              + modelDir
              + "/checkpoints: "
              + e.getMessage()
              + "; the driver must be able to write the model directory",
          e);
    }
  }

  /** Stops every node of this generation, waits for their processes, and closes its ports. */
  synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    coordinator.stopAll();
    try {
      if (!coordinator.awaitDisconnected(30_000)) {
        LOG.warn("Some nodes of cluster {} did not exit within 30 s of being stopped", id);
      } else if (!coordinator.awaitExitReports(10_000)) {
        // A node closes its connection just before its process exits and frees its ports.
        LOG.debug("Not every executor of cluster {} reported its node's exit", id);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    nodeJob.cancel();
    coordinator.close();
  }

  /**
   * Waits until Spark has {@code required} executors besides the driver (a restart waits here for
   * the lost executor's replacement). Local mode runs the nodes in the driver and does not wait.
   */
  static void awaitExecutors(SparkContext sc, int required, long timeoutMillis) {
    String master = sc.master();
    if (master.equals("local") || master.startsWith("local[")) {
      return;
    }
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    Object monitor = new Object();
    synchronized (monitor) {
      // The driver is in this list too; outside local mode it runs no tasks.
      while (sc.statusTracker().getExecutorInfos().length - 1 < required
          && System.nanoTime() < deadline) {
        try {
          monitor.wait(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static Map<String, String> hadoopConf(SparkContext sc) {
    Map<String, String> entries = new LinkedHashMap<>();
    sc.hadoopConfiguration().forEach(e -> entries.put(e.getKey(), e.getValue()));
    return entries;
  }

  private static ClusterSpec clusterSpec(ClusterLayout layout, NodeAddress[] nodes) {
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    for (NodeAddress node : nodes) {
      jobs.computeIfAbsent(layout.job(node.index()), j -> new ArrayList<>())
          .add(node.host() + ":" + node.tfPort());
    }
    return new ClusterSpec(jobs);
  }

  private static String describe(ClusterLayout layout, NodeAddress[] nodes) {
    List<String> parts = new ArrayList<>();
    for (NodeAddress node : nodes) {
      parts.add(
          layout.describe(node.index())
              + "@"
              + node.host()
              + ":"
              + node.tfPort()
              + " (executor "
              + node.executorId()
              + ")");
    }
    return String.join(", ", parts);
  }
}
