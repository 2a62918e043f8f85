package org.sparktf.core.internal;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.security.UserGroupInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's child JVM, launched and supervised by an executor. The child reads its {@link
 * NodeSpec} from standard input and exits when that input closes, so it never outlives the
 * executor. Its output goes to the executor's log and a tail kept for error messages. When it
 * exits, the supervisor thread deletes its local directory (whatever killed it) and reports the
 * exit code and output to the driver.
 *
 * <p>The executor also holds a control channel to the driver for the node's whole life, with
 * heartbeats both ways ({@link Heartbeats}): the driver hears that the executor is alive, and the
 * executor stops its node when the driver falls silent, closes the channel, or declares the node
 * superseded.
 */
final class NodeProcess {
  private static final Logger LOG = LoggerFactory.getLogger(NodeProcess.class);
  static final List<String> JAVA17_OPENS =
      List.of(
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED");

  private final NodeSpec spec;
  private final Process process;
  private final OutputStream stdin;
  private final OutputTail tail = new OutputTail(200);
  private final Thread pump;
  private final Thread supervisor;
  private final Path localDir;
  private final ClassServer classServer;
  private volatile ControlChannel driver;
  private volatile Thread heartbeat;
  private ObjectOutputStream toNode;
  private volatile Thread credentials;

  private NodeProcess(NodeSpec spec, Process process, ClassServer classServer) {
    this.spec = spec;
    this.classServer = classServer;
    this.localDir = Paths.get(spec.localDir);
    this.process = process;
    this.stdin = process.getOutputStream();
    this.pump = new Thread(this::pumpOutput, "sparktf-node-output-" + spec.describe());
    pump.setDaemon(true);
    this.supervisor = new Thread(this::supervise, "sparktf-node-supervisor-" + spec.describe());
    supervisor.setDaemon(true);
  }

  /** Starts the child and hands it its spec. The supervisor owns the process from then on. */
  static NodeProcess launch(NodeSpec spec) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command(spec)).redirectErrorStream(true);
    // TensorFlow sees exactly the GPUs Spark assigned to this task; none means CPU only.
    builder
        .environment()
        .put("CUDA_VISIBLE_DEVICES", spec.gpus.isEmpty() ? "-1" : String.join(",", spec.gpus));
    // The task's class loader sees what the child's class path lacks (REPL classes, added jars).
    ClassServer classServer =
        new ClassServer(
            spec.describe(), spec.secret, Thread.currentThread().getContextClassLoader());
    spec.classServerPort = classServer.port();
    Process process;
    try {
      process = builder.start();
    } catch (IOException | RuntimeException e) {
      classServer.close();
      throw e;
    }
    NodeProcess node = new NodeProcess(spec, process, classServer);
    node.pump.start();
    // The task's user: on YARN it holds the application's delegation tokens, renewed by Spark.
    UserGroupInformation user;
    byte[] credentials;
    try {
      user = UserGroupInformation.getCurrentUser();
      node.toNode = new ObjectOutputStream(node.stdin);
      node.toNode.writeObject(spec);
      credentials = NodeCredentials.of(user);
      NodeCredentials.send(node.toNode, credentials);
    } catch (IOException e) {
      process.destroyForcibly();
      classServer.close();
      throw new IOException(
          "Cannot hand node "
              + spec.describe()
              + " its spec and Hadoop credentials: "
              + e.getMessage()
              + "; output:\n"
              + node.tail,
          e);
    }
    node.credentials =
        NodeCredentials.forward(user, node.toNode, credentials, process::isAlive, spec.describe());
    try {
      node.superviseWithDriver();
    } catch (IOException e) {
      process.destroyForcibly();
      throw new IOException(
          "Cannot open the supervision channel of node "
              + spec.describe()
              + " to the driver: "
              + e.getMessage(),
          e);
    } finally {
      // Whatever happened, the supervisor waits for the process and cleans up after it.
      node.supervisor.start();
    }
    return node;
  }

  /** Connects to the driver and starts the heartbeats and the watch on the driver. */
  private void superviseWithDriver() throws IOException {
    ControlChannel channel =
        ControlChannel.connect(spec.coordinatorHost, spec.coordinatorPort, spec.secret, 30_000);
    driver = channel;
    channel.send(ControlChannel.message(Heartbeats.SUPERVISE).put("index", spec.index));
    channel.readTimeout((int) Math.min(Integer.MAX_VALUE, spec.livenessTimeoutMillis));
    heartbeat =
        Heartbeats.start(
            channel,
            spec.livenessTimeoutMillis,
            "sparktf-node-heartbeat-" + spec.describe(),
            e -> LOG.debug("Heartbeat of node {} ended: {}", spec.describe(), e.toString()));
    Thread watch = new Thread(() -> watchDriver(channel), "sparktf-node-watch-" + spec.describe());
    watch.setDaemon(true);
    watch.start();
  }

  /** Stops the node when the driver gives it up or cannot be heard any more. */
  private void watchDriver(ControlChannel channel) {
    String reason;
    try {
      while (!Heartbeats.SUPERSEDED.equals(channel.receive().path("type").asText())) {
        // Heartbeats: the driver is alive.
      }
      reason = "the driver declared it lost and superseded it";
    } catch (SocketTimeoutException e) {
      reason =
          "heard nothing from the driver for "
              + spec.livenessTimeoutMillis / 1000.0
              + " s (nodeLivenessTimeout)";
    } catch (IOException e) {
      reason = "its control channel to the driver closed (" + e + ")";
    }
    if (process.isAlive()) {
      LOG.warn("Stopping TensorFlow node {}: {}", spec.describe(), reason);
      try {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  String output() {
    return tail.toString();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Kills the process now (failure paths), and waits briefly for it to go. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static List<String> command(NodeSpec spec) {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classpath());
    command.addAll(JAVA17_OPENS);
    command.add("-XX:+ExitOnOutOfMemoryError");
    // A native crash report goes beside the node's files, not into the executor's work dir.
    command.add("-XX:ErrorFile=" + Paths.get(spec.tmpDir, "sparktf-node-hs_err_%p.log"));
    command.add("-Djava.io.tmpdir=" + spec.tmpDir);
    command.add("-Dsparktf.node=" + spec.clusterId + "/" + spec.describe());
    // Where the executor's JVM was told to find its Kerberos configuration (no /etc/krb5.conf),
    // the node's JVM needs it too: Hadoop's Kerberos names need the default realm.
    String krb5Conf = System.getProperty("java.security.krb5.conf");
    if (krb5Conf != null) {
      command.add("-Djava.security.krb5.conf=" + krb5Conf);
    }
    command.addAll(spec.javaOptions);
    command.add(NodeMain.class.getName());
    return command;
  }

  /**
   * The executor's classpath: the JVM's own plus the jars Spark added (--jars, the application
   * jar), which live in the task's class loaders.
   */
  static String classpath() {
    Set<String> entries = new LinkedHashSet<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(entry);
      }
    }
    for (ClassLoader loader = Thread.currentThread().getContextClassLoader();
        loader != null;
        loader = loader.getParent()) {
      if (loader instanceof URLClassLoader) {
        for (URL url : ((URLClassLoader) loader).getURLs()) {
          if ("file".equals(url.getProtocol())) {
            try {
              entries.add(Paths.get(url.toURI()).toString());
            } catch (URISyntaxException | IllegalArgumentException e) {
              LOG.debug("Skipping class path entry {}", url);
            }
          }
        }
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private void pumpOutput() {
    Logger nodeLog = LoggerFactory.getLogger("org.sparktf.node." + spec.layout.job(spec.index));
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        tail.add(line);
        nodeLog.info("[{}] {}", spec.describe(), line);
      }
    } catch (IOException e) {
      LOG.debug("Output of node {} ended: {}", spec.describe(), e.toString());
    }
  }

  private void supervise() {
    int exitCode;
    try {
      exitCode = process.waitFor();
      pump.join(10_000);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return;
    } finally {
      try {
        stdin.close();
      } catch (IOException e) {
        LOG.debug("Ignoring close failure", e);
      }
      NodeRegistry.remove(spec.clusterId, spec.index);
      classServer.close();
      if (heartbeat != null) {
        heartbeat.interrupt();
      }
      if (credentials != null) {
        credentials.interrupt();
      }
      if (driver != null) {
        closeQuietly(driver);
      }
      // A node killed by a signal or by the JVM itself (out of memory) could not clean up.
      NodeRuntime.deleteRecursively(localDir);
    }
    if (exitCode == NodeExit.STOPPED) {
      // The driver stopped a node still running its function: close(), or another node failed.
      LOG.info("TensorFlow node {} was stopped by the driver", spec.describe());
    } else if (exitCode != 0) {
      LOG.warn(
          "TensorFlow node {} exited with code {}: {}",
          spec.describe(),
          exitCode,
          NodeExit.describe(exitCode));
    }
    reportExit(exitCode);
  }

  private static void closeQuietly(ControlChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("Ignoring close failure", e);
    }
  }

  private void reportExit(int exitCode) {
    try (ControlChannel driver =
        ControlChannel.connect(
            spec.coordinatorHost,
            spec.coordinatorPort,
            spec.secret,
            ControlChannel.HANDSHAKE_TIMEOUT_MILLIS)) {
      driver.send(
          ControlChannel.message("exited")
              .put("index", spec.index)
              .put("exitCode", exitCode)
              .put("output", tail.toString()));
    } catch (IOException e) {
      // The driver stops listening once the cluster shut down; only an early exit matters.
      LOG.debug("Cannot report the exit of node {}: {}", spec.describe(), e.toString());
    }
  }
}
