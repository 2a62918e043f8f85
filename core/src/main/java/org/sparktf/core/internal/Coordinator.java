package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver side of a cluster: nodes register here (the reservation), receive the cluster once all
 * have registered, report completion or failure, and receive commands (end of feed, stop). Every
 * connection is authenticated with the cluster's secret; see {@link ControlChannel}.
 *
 * <p>A node's process keeps its connection open for its whole life, so a closed connection before
 * the cluster stops means the node died; its executor then reports the exit code and output.
 */
public final class Coordinator implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
  private static final long EXIT_REPORT_WAIT_MS = 5_000;

  private final ClusterLayout layout;
  private final ControlServer server;

  // Guarded by this.
  private final NodeAddress[] addresses;
  private final ControlChannel[] nodeChannels;
  private final boolean[] done;
  private final boolean[] disconnected;
  private final boolean[] terminated;
  private final boolean[] exitReported;
  private final boolean[] unreported;
  private String failure;
  private boolean nodeLost;
  private Runnable onFailure = () -> {};
  private boolean stopping;
  private boolean closed;

  /** A coordinator on any free port of {@code bindHost}. */
  public Coordinator(ClusterLayout layout, byte[] secret, String bindHost) throws IOException {
    this(layout, secret, bindHost, PortRange.ANY);
  }

  /** A coordinator on a free port of {@code ports} on {@code bindHost}. */
  public Coordinator(ClusterLayout layout, byte[] secret, String bindHost, PortRange ports)
      throws IOException {
    this(
        layout,
        secret,
        bindHost,
        ports,
        ControlChannel.HANDSHAKE_TIMEOUT_MILLIS,
        ControlServer.MAX_PENDING);
  }

  /** The same with other limits on unauthenticated connections (tests shorten them). */
  Coordinator(
      ClusterLayout layout,
      byte[] secret,
      String bindHost,
      PortRange ports,
      int handshakeTimeoutMillis,
      int maxPending)
      throws IOException {
    this.layout = layout;
    int n = layout.numNodes();
    this.addresses = new NodeAddress[n];
    this.nodeChannels = new ControlChannel[n];
    this.done = new boolean[n];
    this.disconnected = new boolean[n];
    this.terminated = new boolean[n];
    this.exitReported = new boolean[n];
    this.unreported = new boolean[n];
    this.server =
        new ControlServer(
            "coordinator",
            InetAddress.getByName(bindHost),
            ports,
            secret,
            this::handle,
            LOG::warn,
            handshakeTimeoutMillis,
            maxPending);
  }

  /** The name of the coordinator's threads serving connections still in their handshake. */
  String handshakeThreadName() {
    return server.handshakeThreadName();
  }

  public int port() {
    return server.port();
  }

  /** Waits until every node registered; false when the wait ran out first. */
  public synchronized boolean awaitRegistered(long timeoutMillis) throws InterruptedException {
    return awaitCondition(timeoutMillis, () -> registeredCount() == layout.numNodes());
  }

  public synchronized int registeredCount() {
    int count = 0;
    for (NodeAddress address : addresses) {
      count += address == null ? 0 : 1;
    }
    return count;
  }

  /** The registered nodes, by index; null entries have not registered. */
  public synchronized NodeAddress[] addresses() {
    return addresses.clone();
  }

  /** Waits until the given nodes reported their function done; false on timeout. */
  public synchronized boolean awaitDone(Set<Integer> nodes, long timeoutMillis)
      throws InterruptedException {
    return awaitCondition(timeoutMillis, () -> nodes.stream().allMatch(i -> done[i]));
  }

  /** Waits until every registered node's process closed its connection; false on timeout. */
  public synchronized boolean awaitDisconnected(long timeoutMillis) throws InterruptedException {
    IntPredicate gone = i -> addresses[i] == null || disconnected[i];
    return awaitCondition(
        timeoutMillis,
        () -> java.util.stream.IntStream.range(0, layout.numNodes()).allMatch(gone),
        false);
  }

  /**
   * Waits until the executor of every registered node reported its process's exit, which is when
   * the node's ports are free again; false on timeout (a node whose executor died never reports).
   */
  public synchronized boolean awaitExitReports(long timeoutMillis) throws InterruptedException {
    IntPredicate reported = i -> addresses[i] == null || exitReported[i] || unreported[i];
    return awaitCondition(
        timeoutMillis,
        () -> java.util.stream.IntStream.range(0, layout.numNodes()).allMatch(reported),
        false);
  }

  /** Waits until a failure is recorded; false when none was within the timeout. */
  public synchronized boolean awaitFailure(long timeoutMillis) throws InterruptedException {
    return awaitCondition(timeoutMillis, () -> failure != null, false);
  }

  /** The first failure any node reported, or null. */
  public synchronized String failure() {
    return failure;
  }

  /**
   * Whether the failure is the loss of a node's process or executor (rather than a node function
   * that threw): the kind of failure a restart from the latest checkpoint can get past.
   */
  public synchronized boolean failedByNodeLoss() {
    return failure != null && nodeLost;
  }

  /** Records a failure seen by the driver itself (the node job failed, a timeout). */
  public void fail(String message) {
    fail(message, false);
  }

  private void fail(String message, boolean lost) {
    Runnable listener;
    synchronized (this) {
      if (failure != null) {
        return;
      }
      failure = message;
      nodeLost = lost;
      listener = onFailure;
      notifyAll();
    }
    // Outside the lock: the listener cancels Spark jobs, which may take a while.
    Thread notifier = new Thread(listener, "sparktf-failure-listener");
    notifier.setDaemon(true);
    notifier.start();
  }

  /** Runs {@code listener} (on its own thread) when the first failure is recorded. */
  public synchronized void onFailure(Runnable listener) {
    this.onFailure = listener;
    if (failure != null) {
      Thread notifier = new Thread(listener, "sparktf-failure-listener");
      notifier.setDaemon(true);
      notifier.start();
    }
  }

  public synchronized boolean terminated(int node) {
    return terminated[node];
  }

  /** Tells the given nodes that no more data will be fed. */
  public void endFeed(Set<Integer> nodes) {
    broadcast(nodes, ControlChannel.message("endFeed"));
  }

  /** Tells every registered node to exit. Nodes that failed to receive it are reported later. */
  public void stopAll() {
    Set<Integer> all = new java.util.TreeSet<>();
    synchronized (this) {
      stopping = true;
      for (int i = 0; i < layout.numNodes(); i++) {
        all.add(i);
      }
    }
    broadcast(all, ControlChannel.message("stop"));
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      stopping = true;
      notifyAll();
    }
    server.close();
    try {
      server.awaitThreads(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void broadcast(Set<Integer> nodes, ObjectNode message) {
    for (int node : nodes) {
      ControlChannel channel;
      synchronized (this) {
        // A node whose process is gone has nothing to receive.
        channel = disconnected[node] ? null : nodeChannels[node];
      }
      if (channel == null) {
        continue;
      }
      try {
        channel.send(message);
      } catch (IOException e) {
        LOG.warn(
            "Cannot send {} to node {}: {}", message.path("type"), describe(node), e.toString());
      }
    }
  }

  private interface Condition {
    boolean holds();
  }

  private boolean awaitCondition(long timeoutMillis, Condition condition)
      throws InterruptedException {
    return awaitCondition(timeoutMillis, condition, true);
  }

  private boolean awaitCondition(long timeoutMillis, Condition condition, boolean stopOnFailure)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!condition.holds()) {
      if ((stopOnFailure && failure != null) || closed) {
        return condition.holds();
      }
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  /** Serves one authenticated connection: a node, a node task awaiting the cluster, an exit. */
  private void handle(ControlChannel channel) throws IOException, InterruptedException {
    ObjectNode first = channel.receive();
    switch (first.path("type").asText()) {
      case "register":
        serveNode(channel, NodeAddress.fromJson(first));
        break;
      case "await":
        serveAwait(channel);
        break;
      case "exited":
        recordExit(first);
        break;
      default:
        LOG.warn("Coordinator ignores an unknown message type {}", first.path("type"));
    }
  }

  private void serveNode(ControlChannel channel, NodeAddress address)
      throws IOException, InterruptedException {
    int index = address.index;
    String rejection = register(channel, address);
    if (rejection != null) {
      channel.send(ControlChannel.message("error").put("message", rejection));
      return;
    }
    LOG.info(
        "TensorFlow node {} registered from {} (executor {})",
        describe(index),
        address.host,
        address.executorId);
    channel.send(clusterOrError());
    try {
      while (true) {
        ObjectNode message = channel.receive();
        String type = message.path("type").asText();
        synchronized (this) {
          if ("done".equals(type)) {
            done[index] = true;
          } else if ("failed".equals(type)) {
            functionFailed(index, message.path("error").asText());
          } else if ("terminated".equals(type)) {
            terminated[index] = true;
          }
          notifyAll();
        }
      }
    } catch (IOException e) {
      synchronized (this) {
        disconnected[index] = true;
        notifyAll();
        // The executor reports the exit code and output of a dead process: wait a little for it,
        // it makes a far better error than a lost connection.
        awaitCondition(EXIT_REPORT_WAIT_MS, () -> exitReported[index] || stopping);
        // No report by now: the executor died with its node and never will report.
        unreported[index] = !exitReported[index] && !stopping;
        if (!stopping && needed(index)) {
          fail(
              "Node "
                  + describe(index)
                  + " lost its connection to the driver before finishing ("
                  + e
                  + "); its process or executor died",
              true);
        }
        notifyAll();
      }
    }
  }

  /**
   * A node function threw. When another node went away just before (a parameter server whose
   * process died makes the workers' steps fail), that loss is the cause: the message names it first
   * and the failure counts as a node loss.
   */
  private synchronized void functionFailed(int index, String error) {
    for (int other = 0; other < layout.numNodes(); other++) {
      if (other != index && disconnected[other] && needed(other) && !stopping) {
        fail(
            "Node "
                + describe(other)
                + " went away (its process or executor died), and then node "
                + describe(index)
                + " failed: "
                + error,
            true);
        return;
      }
    }
    fail("Node " + describe(index) + " failed: " + error);
  }

  /**
   * Whether the cluster still needs the node's process: until its function is done, and for a
   * parameter server until the cluster stops (its function returns at once, its server holds the
   * variables).
   */
  private boolean needed(int index) {
    return !done[index] || ClusterLayout.PS.equals(layout.job(index));
  }

  private synchronized String register(ControlChannel channel, NodeAddress address) {
    int index = address.index;
    if (index < 0 || index >= layout.numNodes()) {
      return "Invalid node index: " + index;
    }
    if (addresses[index] != null) {
      return "Cannot register node "
          + describe(index)
          + ": it already registered from executor "
          + addresses[index].executorId
          + "; a retried task cannot rejoin a running cluster, restart the cluster";
    }
    addresses[index] = address;
    nodeChannels[index] = channel;
    notifyAll();
    return null;
  }

  private ObjectNode clusterOrError() throws InterruptedException {
    synchronized (this) {
      while (registeredCount() < layout.numNodes() && failure == null && !closed) {
        wait();
      }
      if (registeredCount() < layout.numNodes()) {
        return ControlChannel.message("error")
            .put("message", failure != null ? failure : "the cluster was closed");
      }
      ObjectNode cluster = ControlChannel.message("cluster");
      ArrayNode nodes = cluster.putArray("nodes");
      for (NodeAddress address : addresses) {
        nodes.add(address.toJson());
      }
      return cluster;
    }
  }

  private void serveAwait(ControlChannel channel) throws IOException, InterruptedException {
    channel.send(clusterOrError());
  }

  private void recordExit(JsonNode message) {
    int index = message.path("index").asInt(-1);
    int exitCode = message.path("exitCode").asInt();
    synchronized (this) {
      if (index >= 0 && index < layout.numNodes()) {
        disconnected[index] = true;
        exitReported[index] = true;
        boolean expected = exitCode == 0 || (stopping && failure != null);
        if (!expected && !stopping) {
          fail(
              "Node "
                  + describe(index)
                  + " exited with code "
                  + exitCode
                  + "; its last output:\n"
                  + message.path("output").asText(),
              true);
        }
      }
      notifyAll();
    }
  }

  private String describe(int index) {
    NodeAddress address;
    synchronized (this) {
      address = index >= 0 && index < addresses.length ? addresses[index] : null;
    }
    return layout.describe(index)
        + (address == null
            ? ""
            : " (executor " + address.executorId + ", host " + address.host + ")");
  }

  static List<NodeAddress> parseCluster(ObjectNode cluster) {
    List<NodeAddress> nodes = new ArrayList<>();
    for (JsonNode node : cluster.path("nodes")) {
      nodes.add(NodeAddress.fromJson(node));
    }
    return nodes;
  }
}
