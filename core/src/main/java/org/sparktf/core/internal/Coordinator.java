package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.internal.feed.FeedPosition;
import org.sparktf.core.internal.feed.FeedTracker;

/**
 * The driver side of a cluster: nodes register here (the reservation), receive the cluster once all
 * have registered, report completion or failure, and receive commands (end of feed, stop). Every
 * connection is authenticated with the cluster's secret; see {@link ControlChannel}.
 *
 * <p>A node's process keeps its connection open for its whole life, so a closed connection before
 * the cluster stops means the node died; its executor then reports the exit code and output. A
 * node's process and its executor also exchange heartbeats with the coordinator ({@link
 * Heartbeats}): a node silent for longer than the liveness timeout, or whose executor Spark
 * removed, is declared lost at once, told it is superseded and cut off.
 */
public final class Coordinator implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
  private static final long EXIT_REPORT_WAIT_MS = 5_000;

  private final ClusterLayout layout;
  private final ControlServer server;
  private final long livenessTimeoutMillis;
  private final Thread liveness;

  // Guarded by this.
  private final NodeAddress[] addresses;
  private final ControlChannel[] nodeChannels;
  private final boolean[] done;
  private final boolean[] disconnected;
  private final boolean[] terminated;
  private final boolean[] exitReported;
  private final boolean[] unreported;
  private final ControlChannel[] executorChannels;
  // System.nanoTime() of the last message from the node's process (0 until it joined the cluster)
  // and from its executor's supervision channel (0 while there is none).
  private final long[] lastHeard;
  private final long[] executorLastHeard;
  private final boolean[] lost;
  // A node function failed while another node was silent: held until that node is declared lost
  // (then the loss is the cause) or speaks again (then the function failure stands).
  private final String[] pendingFailures;
  private final Set<String> silentExecutors = new LinkedHashSet<>();
  private volatile FeedTracker feedTracker = new FeedTracker(FeedPosition.START);
  private String failure;
  private boolean nodeLost;
  private Runnable onFailure = () -> {};
  private volatile java.util.function.BiConsumer<Integer, ObjectNode> onProgress = (i, m) -> {};
  private boolean stopping;
  private boolean closed;

  /** A coordinator on any free port of {@code bindHost}. */
  public Coordinator(
      ClusterLayout layout, byte[] secret, String bindHost, long livenessTimeoutMillis)
      throws IOException {
    this(layout, secret, bindHost, PortRange.ANY, livenessTimeoutMillis);
  }

  /**
   * A coordinator on a free port of {@code ports} on {@code bindHost}.
   *
   * @param livenessTimeoutMillis how long a node's process or executor may stay silent before the
   *     node counts as lost
   */
  public Coordinator(
      ClusterLayout layout,
      byte[] secret,
      String bindHost,
      PortRange ports,
      long livenessTimeoutMillis)
      throws IOException {
    this(
        layout,
        secret,
        bindHost,
        ports,
        livenessTimeoutMillis,
        ControlChannel.HANDSHAKE_TIMEOUT_MILLIS,
        ControlServer.MAX_PENDING);
  }

  /** The same with other limits on unauthenticated connections (tests shorten them). */
  Coordinator(
      ClusterLayout layout,
      byte[] secret,
      String bindHost,
      PortRange ports,
      long livenessTimeoutMillis,
      int handshakeTimeoutMillis,
      int maxPending)
      throws IOException {
    this.layout = layout;
    this.livenessTimeoutMillis = livenessTimeoutMillis;
    int n = layout.numNodes();
    this.addresses = new NodeAddress[n];
    this.nodeChannels = new ControlChannel[n];
    this.done = new boolean[n];
    this.disconnected = new boolean[n];
    this.terminated = new boolean[n];
    this.exitReported = new boolean[n];
    this.unreported = new boolean[n];
    this.executorChannels = new ControlChannel[n];
    this.lastHeard = new long[n];
    this.executorLastHeard = new long[n];
    this.lost = new boolean[n];
    this.pendingFailures = new String[n];
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
    this.liveness = new Thread(this::watchLiveness, "sparktf-coordinator-liveness-" + port());
    liveness.setDaemon(true);
    liveness.start();
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

  /**
   * Runs {@code listener} with every progress report of a node (its index and the message), on the
   * thread serving that node's connection.
   */
  public void onProgress(java.util.function.BiConsumer<Integer, ObjectNode> listener) {
    this.onProgress = listener;
  }

  /**
   * Seconds since the last message from node {@code index}'s process (heartbeats included); -1
   * before it joined and once it left.
   */
  public synchronized double secondsSinceHeard(int index) {
    if (lastHeard[index] == 0 || disconnected[index]) {
      return -1;
    }
    return (System.nanoTime() - lastHeard[index]) / 1e9;
  }

  /**
   * Spark removed executor {@code executorId}: a node it ran is lost now, whatever its process
   * still does (called from a SparkListener).
   */
  public void executorLost(String executorId, String reason) {
    int index = -1;
    synchronized (this) {
      for (int i = 0; i < addresses.length; i++) {
        if (addresses[i] != null && addresses[i].executorId.equals(executorId)) {
          index = i;
        }
      }
    }
    if (index >= 0) {
      declareLost(index, "was lost: Spark removed its executor (" + reason + ")", false);
    }
  }

  /**
   * The executors of nodes declared lost because they fell silent: they may still hold a task slot
   * and a frozen process, so a restart replaces them first.
   */
  public synchronized Set<String> silentExecutors() {
    return new LinkedHashSet<>(silentExecutors);
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
    liveness.interrupt();
    join(liveness);
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
      case Heartbeats.SUPERVISE:
        serveSupervisor(channel, first.path("index").asInt(-1));
        break;
      default:
        LOG.warn("Coordinator ignores an unknown message type {}", first.path("type"));
    }
  }

  private synchronized boolean isClosed() {
    return closed;
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
    ObjectNode answer = clusterOrError();
    channel.send(answer);
    if ("cluster".equals(answer.path("type").asText())) {
      synchronized (this) {
        // From now on the node and the coordinator exchange heartbeats.
        lastHeard[index] = System.nanoTime();
      }
    }
    try {
      while (true) {
        ObjectNode message = channel.receive();
        String type = message.path("type").asText();
        if (trackFeed(channel, type, message)) {
          synchronized (this) {
            lastHeard[index] = System.nanoTime();
          }
          continue;
        }
        if (StepReporter.PROGRESS.equals(type)) {
          onProgress.accept(index, message);
        }
        synchronized (this) {
          lastHeard[index] = System.nanoTime();
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
        if (lost[index]) {
          // Declared lost already; the coordinator closed this channel itself.
          return;
        }
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
   * Handles the messages that keep the feed position ({@link FeedTracker}); false for any other.
   */
  private boolean trackFeed(ControlChannel channel, String type, ObjectNode message)
      throws IOException {
    switch (type) {
      case "fed":
        feedTracker.report(message.path("positions"));
        return true;
      case "checkpointing":
        long step = message.path("step").asLong();
        feedTracker.checkpointing(step);
        channel.send(ControlChannel.message("checkpointingRecorded").put("step", step));
        return true;
      case "checkpointed":
        feedTracker.checkpointed(message.path("step").asLong());
        return true;
      default:
        return false;
    }
  }

  /**
   * Starts the record of the feed position from {@code base}, the position of the checkpoint this
   * start of the cluster restores. Call it before the nodes start.
   */
  public void trackFeedFrom(FeedPosition base) {
    feedTracker = new FeedTracker(base);
  }

  /** The feed position this start of the cluster has reached, and that of its checkpoints. */
  public FeedTracker feedTracker() {
    return feedTracker;
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
                + (lost[other] ? " was lost" : " went away (its process or executor died)")
                + ", and then node "
                + describe(index)
                + " failed: "
                + error,
            true);
        return;
      }
    }
    if (anotherSuspect(index)) {
      // A silent node makes the others' gRPC calls fail before it counts as lost: wait for the
      // verdict on it (the liveness watch settles this within the liveness timeout).
      pendingFailures[index] = error;
      return;
    }
    fail("Node " + describe(index) + " failed: " + error);
  }

  /** Whether a node other than {@code index} is suspect. */
  private boolean anotherSuspect(int index) {
    for (int other = 0; other < layout.numNodes(); other++) {
      if (other != index && suspect(other)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the node, or its executor, has been silent for more than two heartbeats while the
   * cluster still needs it: it may be lost.
   */
  synchronized boolean suspect(int index) {
    if (disconnected[index] || !needed(index)) {
      return false;
    }
    long now = System.nanoTime();
    long suspectNanos = 2 * Heartbeats.intervalMillis(livenessTimeoutMillis) * 1_000_000L;
    boolean nodeSilent = lastHeard[index] > 0 && now - lastHeard[index] > suspectNanos;
    boolean executorSilent =
        executorLastHeard[index] > 0 && now - executorLastHeard[index] > suspectNanos;
    return nodeSilent || executorSilent;
  }

  /**
   * Sends heartbeats to every node and executor channel, declares lost the nodes silent past the
   * timeout, and settles held function failures once no node is suspect any more.
   */
  private void watchLiveness() {
    long interval = Heartbeats.intervalMillis(livenessTimeoutMillis);
    long timeoutNanos = livenessTimeoutMillis * 1_000_000L;
    while (true) {
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
      List<ControlChannel> peers = new ArrayList<>();
      List<Integer> silentNodes = new ArrayList<>();
      List<String> silences = new ArrayList<>();
      synchronized (this) {
        if (closed) {
          return;
        }
        long now = System.nanoTime();
        for (int i = 0; i < layout.numNodes(); i++) {
          if (executorChannels[i] != null) {
            peers.add(executorChannels[i]);
          }
          if (lastHeard[i] == 0 || disconnected[i]) {
            continue;
          }
          peers.add(nodeChannels[i]);
          long nodeSilence = now - lastHeard[i];
          long executorSilence = executorLastHeard[i] == 0 ? 0 : now - executorLastHeard[i];
          if (nodeSilence > timeoutNanos || executorSilence > timeoutNanos) {
            silentNodes.add(i);
            silences.add(
                silence(
                    nodeSilence > timeoutNanos ? "its process" : "its executor",
                    Math.max(nodeSilence, executorSilence)));
          }
        }
        for (int i = 0; i < layout.numNodes(); i++) {
          if (pendingFailures[i] != null && silentNodes.isEmpty() && !anotherSuspect(i)) {
            fail("Node " + describe(i) + " failed: " + pendingFailures[i]);
          }
        }
      }
      for (ControlChannel peer : peers) {
        try {
          peer.send(ControlChannel.message(Heartbeats.HEARTBEAT));
        } catch (IOException e) {
          // Its own handler sees the broken channel.
        }
      }
      for (int i = 0; i < silentNodes.size(); i++) {
        declareLost(silentNodes.get(i), silences.get(i), true);
      }
    }
  }

  private String silence(String who, long silenceNanos) {
    return "was lost: "
        + who
        + " was silent for "
        + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(silenceNanos)
        + " s, longer than nodeLivenessTimeout ("
        + livenessTimeoutMillis / 1000.0
        + " s); its process, executor or host froze, crashed or was cut off from the driver";
  }

  /**
   * Records node {@code index} as lost (a restartable failure), tells its process and executor they
   * are superseded, and closes their channels, so that nothing the node still does reaches this
   * cluster.
   */
  private void declareLost(int index, String what, boolean silent) {
    ControlChannel node;
    ControlChannel executor;
    StringBuilder message = new StringBuilder();
    synchronized (this) {
      if (stopping || lost[index] || addresses[index] == null || !needed(index)) {
        return;
      }
      lost[index] = true;
      disconnected[index] = true;
      unreported[index] = true;
      node = nodeChannels[index];
      executor = executorChannels[index];
      if (silent) {
        silentExecutors.add(addresses[index].executorId);
      }
      message.append("Node ").append(describe(index)).append(' ').append(what);
      for (int other = 0; other < layout.numNodes(); other++) {
        if (other != index && pendingFailures[other] != null) {
          message
              .append("; meanwhile node ")
              .append(layout.describe(other))
              .append(" failed: ")
              .append(pendingFailures[other]);
        }
      }
      notifyAll();
    }
    LOG.warn("{}", message);
    fail(message.toString(), true);
    supersede(node);
    supersede(executor);
  }

  private static void supersede(ControlChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.send(ControlChannel.message(Heartbeats.SUPERSEDED));
    } catch (IOException e) {
      LOG.debug("Cannot tell a lost node it is superseded: {}", e.toString());
    }
    closeQuietly(channel);
  }

  /** An executor's channel that supervises node {@code index}'s process: heartbeats both ways. */
  private void serveSupervisor(ControlChannel channel, int index) throws IOException {
    synchronized (this) {
      if (index < 0 || index >= layout.numNodes() || executorChannels[index] != null) {
        channel.send(
            ControlChannel.message("error").put("message", "Invalid node index: " + index));
        return;
      }
      executorChannels[index] = channel;
      executorLastHeard[index] = System.nanoTime();
    }
    try {
      while (true) {
        channel.receive();
        synchronized (this) {
          executorLastHeard[index] = System.nanoTime();
        }
      }
    } finally {
      synchronized (this) {
        // The executor's end closes when its node's process exited; that loss, if it is one, is
        // seen on the node's own channel.
        if (executorChannels[index] == channel) {
          executorChannels[index] = null;
          executorLastHeard[index] = 0;
        }
      }
    }
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
                  + " ("
                  + NodeExit.describe(exitCode)
                  + "); its last output:\n"
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

  private static void closeQuietly(Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      LOG.debug("Ignoring close failure", e);
    }
  }

  private static void join(Thread thread) {
    if (thread == Thread.currentThread()) {
      return;
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static List<NodeAddress> parseCluster(ObjectNode cluster) {
    List<NodeAddress> nodes = new ArrayList<>();
    for (JsonNode node : cluster.path("nodes")) {
      nodes.add(NodeAddress.fromJson(node));
    }
    return nodes;
  }
}
