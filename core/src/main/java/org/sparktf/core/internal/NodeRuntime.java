package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.sparktf.core.ClusterSpec;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.internal.feed.FeedServer;
import org.tensorflow.Server;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.ServerDef;

/**
 * Runs one node inside its child JVM: reserve a port, register with the driver, start the
 * TensorFlow server once the cluster is known, run the user's function, report, and wait for the
 * driver's stop. Once registered it exchanges heartbeats with the driver ({@link Heartbeats}) and
 * exits on its own when the driver falls silent or declares it superseded.
 */
final class NodeRuntime {
  private static final int MAX_ERROR_CHARS = 64 * 1024;

  private final NodeSpec spec;
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile boolean functionReturned;
  private volatile FeedServer feedServer;
  private volatile FeedReporting feedReporting;

  NodeRuntime(NodeSpec spec) {
    this.spec = spec;
  }

  int run() throws Exception {
    // The executor created it, and deletes it too should this process be killed.
    Path localDir = Files.createDirectories(Path.of(spec.localDir));
    NodeMain.beforeHalt = () -> deleteRecursively(localDir);
    try {
      return run(localDir);
    } finally {
      deleteRecursively(localDir);
    }
  }

  private int run(Path localDir) throws Exception {
    String job = spec.layout.job(spec.index);
    int taskIndex = spec.layout.taskIndex(spec.index);
    // TensorFlow's server listens on every interface, so the port must be free on all of them.
    ServerSocket portHold = reservePort(spec.host, spec.fencedAddresses, spec.ports);
    int tfPort = portHold.getLocalPort();
    FeedServer feedServer;
    try {
      feedServer =
          spec.inputMode == InputMode.SPARK && ClusterLayout.WORKER.equals(job)
              ? openFeedServer()
              : null;
    } catch (IOException | RuntimeException e) {
      portHold.close();
      throw e;
    }
    this.feedServer = feedServer;
    try (ControlChannel driver =
        ControlChannel.connect(
            spec.coordinatorHost,
            spec.coordinatorPort,
            spec.secret,
            ControlChannel.HANDSHAKE_TIMEOUT_MILLIS)) {
      driver.send(
          new NodeAddress(
                  spec.index,
                  spec.host,
                  tfPort,
                  feedServer == null ? 0 : feedServer.port(),
                  spec.executorId)
              .toJson()
              .put("type", "register"));
      driver.readTimeout(
          (int) Math.min(Integer.MAX_VALUE, spec.reservationTimeoutMillis + 60_000L));
      ObjectNode answer = driver.receive();
      if (!"cluster".equals(answer.path("type").asText())) {
        System.err.println("Cannot join the cluster: " + answer.path("message").asText());
        return NodeExit.FAILED;
      }
      // The driver sends heartbeats from now on: silence past the timeout means it is gone.
      driver.readTimeout((int) Math.min(Integer.MAX_VALUE, spec.livenessTimeoutMillis));
      Heartbeats.start(
          driver,
          spec.livenessTimeoutMillis,
          "sparktf-node-heartbeat",
          e -> exitUnlessStopped(NodeExit.DRIVER_GONE, "Lost the driver (" + e + ")"));
      ClusterSpec cluster = clusterSpec(Coordinator.parseCluster(answer));
      System.out.println("Node " + spec.describe() + " joined cluster " + cluster);
      if (feedServer != null) {
        feedReporting = new FeedReporting(driver, feedServer);
        feedReporting.start();
      }
      // Release the reserved port just before TensorFlow binds it.
      portHold.close();
      Server server = new Server(serverDef(cluster, job, taskIndex));
      server.start();
      listen(driver);
      boolean ok = runFunction(driver, cluster, tfPort, localDir);
      functionReturned = true;
      if (feedServer != null) {
        if (ok) {
          // Nothing reads the feed any more: feeding tasks are told so at once, instead of
          // waiting out the feed timeout on every one of their attempts.
          feedServer.functionReturned();
        } else {
          feedServer.abort();
        }
      }
      stop.await();
      return ok ? NodeExit.OK : NodeExit.FAILED;
    } finally {
      portHold.close();
      if (feedServer != null) {
        feedServer.close();
      }
    }
  }

  /** The feed endpoint, on the executor's address (the one feeding tasks are told). */
  private FeedServer openFeedServer() throws IOException {
    try {
      return new FeedServer(
          spec.secret,
          spec.feedTimeoutMillis,
          spec.describe(),
          InetAddress.getByName(spec.host),
          spec.ports);
    } catch (IOException e) {
      throw new IOException(
          "Cannot open the feed port of node "
              + spec.describe()
              + " on "
              + spec.host
              + " (ports "
              + spec.ports
              + "): "
              + e.getMessage(),
          e);
    }
  }

  private boolean runFunction(ControlChannel driver, ClusterSpec cluster, int tfPort, Path localDir)
      throws IOException {
    FeedReporting reporting = feedReporting;
    StepReporter steps =
        new StepReporter(
            driver,
            new SocketBytes(tfPorts(cluster)),
            feedServer == null ? () -> 0 : feedServer::queueDepth,
            feedServer == null ? () -> 0L : feedServer::bytesReceived);
    try (NodeContextImpl context =
        new NodeContextImpl(
            spec,
            cluster,
            tfPort,
            localDir,
            feedServer == null ? null : feedServer.feed(),
            reporting == null ? CheckpointAnnouncer.NONE : reporting,
            steps)) {
      ClassLoader loader =
          new NodeClassLoader(
              NodeRuntime.class.getClassLoader(),
              InetAddress.getLoopbackAddress().getHostAddress(),
              spec.classServerPort,
              spec.secret);
      // Code in the function that loads classes by name (Spark, Hadoop, Scala) sees them too.
      Thread.currentThread().setContextClassLoader(loader);
      NodeFunction function = (NodeFunction) NodeClassLoader.deserialize(spec.function, loader);
      function.run(context);
      // Before "done" on the same channel: the driver has the final totals when it hears done.
      steps.flush();
      if (reporting != null) {
        reporting.functionReturned();
      }
    } catch (Throwable t) {
      String trace = stackTrace(t);
      System.err.println("Node " + spec.describe() + " failed:\n" + trace);
      driver.send(ControlChannel.message("failed").put("error", trace));
      return false;
    }
    driver.send(ControlChannel.message("done"));
    return true;
  }

  /** The ports of the cluster's TensorFlow servers: their traffic is gRPC. */
  private static Set<Integer> tfPorts(ClusterSpec cluster) {
    Set<Integer> ports = new java.util.HashSet<>();
    for (List<String> tasks : cluster.jobs().values()) {
      for (String address : tasks) {
        ports.add(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
      }
    }
    return ports;
  }

  /** Follows the driver's commands; the driver going away ends this process. */
  private void listen(ControlChannel driver) {
    Thread listener =
        new Thread(
            () -> {
              try {
                while (true) {
                  ObjectNode message = driver.receive();
                  String type = message.path("type").asText();
                  if ("checkpointingRecorded".equals(type) && feedReporting != null) {
                    feedReporting.recorded(message);
                  }
                  if (Heartbeats.SUPERSEDED.equals(type)) {
                    System.err.println(
                        "The driver declared this node lost and superseded it; exiting");
                    NodeMain.halt(NodeExit.SUPERSEDED);
                  }
                  if ("endFeed".equals(type) && feedServer != null) {
                    feedServer.endOfFeed();
                  }
                  if ("stop".equals(type)) {
                    if (!functionReturned) {
                      // The driver gave up on the cluster (another node failed, or close()):
                      // nothing this node still computes can be used.
                      System.err.println("Stopped by the driver while running; exiting");
                      NodeMain.halt(NodeExit.STOPPED);
                    }
                    stop.countDown();
                  }
                }
              } catch (SocketTimeoutException e) {
                exitUnlessStopped(
                    NodeExit.LIVENESS_LOST,
                    "Heard nothing from the driver for "
                        + spec.livenessTimeoutMillis / 1000.0
                        + " s (nodeLivenessTimeout)");
              } catch (IOException e) {
                exitUnlessStopped(NodeExit.DRIVER_GONE, "Lost the driver (" + e + ")");
              }
            },
            "sparktf-driver-listener");
    listener.setDaemon(true);
    listener.start();
  }

  /** Halts with {@code code} unless the driver already stopped this node (it exits anyway). */
  private void exitUnlessStopped(int code, String reason) {
    if (stop.getCount() > 0) {
      System.err.println(reason + "; exiting");
      NodeMain.halt(code);
    }
  }

  /**
   * Binds a free port for the TensorFlow server that no earlier generation of this cluster used on
   * this host: TensorFlow's gRPC cannot refuse a stale peer, so an old node that wakes up must find
   * nobody at the addresses it knows.
   */
  static ServerSocket reservePort(String host, Set<String> fenced, PortRange ports)
      throws IOException {
    List<ServerSocket> refused = new ArrayList<>();
    try {
      for (int attempt = 0; attempt < 1000; attempt++) {
        ServerSocket socket = ports.bind(null, 50);
        if (!fenced.contains(host + ":" + socket.getLocalPort())) {
          return socket;
        }
        // Held until a good port is found, so that the next bind cannot return it again.
        refused.add(socket);
      }
      throw new IOException(
          "Cannot reserve a port for the TensorFlow server: the system offered only ports that"
              + " earlier generations of this cluster used");
    } finally {
      for (ServerSocket socket : refused) {
        socket.close();
      }
    }
  }

  private ServerDef serverDef(ClusterSpec cluster, String job, int taskIndex) {
    return ServerDef.newBuilder()
        .setCluster(cluster.toClusterDef())
        .setJobName(job)
        .setTaskIndex(taskIndex)
        .setProtocol("grpc")
        // The server's devices run the node's ops and own its thread pools.
        .setDefaultSessionConfig(spec.threadPools.applyTo(ConfigProto.newBuilder()))
        .build();
  }

  private ClusterSpec clusterSpec(List<NodeAddress> nodes) {
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    nodes.sort(Comparator.comparingInt(NodeAddress::index));
    for (NodeAddress node : nodes) {
      jobs.computeIfAbsent(spec.layout.job(node.index), j -> new ArrayList<>())
          .add(node.tfAddress());
    }
    return new ClusterSpec(jobs);
  }

  static String stackTrace(Throwable t) {
    StringWriter text = new StringWriter();
    t.printStackTrace(new PrintWriter(text));
    String trace = text.toString();
    return trace.length() > MAX_ERROR_CHARS ? trace.substring(0, MAX_ERROR_CHARS) + "\n..." : trace;
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("Cannot delete " + dir + ": " + e);
    }
  }
}
