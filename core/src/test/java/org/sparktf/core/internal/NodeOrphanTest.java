package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.InputMode;
import org.sparktf.core.Leaks;
import org.sparktf.core.Signals;

/**
 * A node's process never outlives its executor and its driver, and never leaves its local directory
 * behind. The driver, the executor and the node are separate JVMs where the test needs it, stopped
 * and killed with real signals.
 */
class NodeOrphanTest {
  private static final Logger LOG = LoggerFactory.getLogger(NodeOrphanTest.class);
  private static final long LIVENESS_MILLIS = 3_000;
  private static final ClusterLayout ONE_WORKER = new ClusterLayout(1, 0, false);

  @TempDir Path tmp;
  private final byte[] secret = ControlChannel.newSecret();
  private final List<Process> standIns = new ArrayList<>();
  private final Map<Process, Path> logs = new HashMap<>();
  private final List<Long> nodes = new ArrayList<>();
  private Coordinator coordinator;

  @AfterEach
  void nothingLeftBehind() throws Exception {
    for (Process standIn : standIns) {
      standIn.destroyForcibly();
      standIn.waitFor(30, TimeUnit.SECONDS);
    }
    if (coordinator != null) {
      coordinator.close();
    }
    for (long pid : nodes) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    // The executor's supervision threads of an in-process node end with it.
    Leaks.assertNoNodeProcessesOrThreads();
  }

  @Test
  void aNodeWhoseExecutorAndDriverAreKilledExitsAndRemovesItsDirectory() throws Exception {
    int port = startDriver();
    Path localDir = Files.createTempDirectory(tmp, "sparktf-node-");
    Process executor = startExecutor(spec(port, localDir));
    long node = Long.parseLong(firstLine(executor));
    nodes.add(node);
    awaitReady(localDir);

    long killed = System.nanoTime();
    Signals.send("KILL", executor.pid());
    Signals.send("KILL", standIns.get(0).pid());

    long seconds = awaitGone(node, localDir, killed);
    LOG.info("The orphaned node exited {} s after its executor and driver were killed", seconds);
    assertThat(seconds).isLessThan(30);
  }

  @Test
  void aNodeWhoseDriverFreezesExitsWithinTheLivenessTimeoutAndRemovesItsDirectory()
      throws Exception {
    int port = startDriver();
    Path localDir = Files.createTempDirectory(tmp, "sparktf-node-");
    NodeProcess node = NodeProcess.launch(spec(port, localDir));
    nodes.add(node.pid());
    awaitReady(localDir);

    long frozen = System.nanoTime();
    Signals.send("STOP", standIns.get(0).pid());

    long seconds = awaitGone(node.pid(), localDir, frozen);
    LOG.info("The node exited {} s after its driver froze", seconds);
    // The liveness timeout, its heartbeat interval, and the executor's 10 s grace at most.
    assertThat(seconds).isLessThan(30);
    Signals.send("KILL", standIns.get(0).pid());
  }

  @Test
  void aNodeProcessKilledWithSigkillLeavesNoLocalDirectory() throws Exception {
    coordinator = new Coordinator(ONE_WORKER, secret, "127.0.0.1", LIVENESS_MILLIS);
    Path localDir = Files.createTempDirectory(tmp, "sparktf-node-");
    NodeProcess node = NodeProcess.launch(spec(coordinator.port(), localDir));
    nodes.add(node.pid());
    awaitReady(localDir);

    long killed = System.nanoTime();
    Signals.send("KILL", node.pid());

    // Its executor cleans up after it.
    assertThat(awaitGone(node.pid(), localDir, killed)).isLessThan(30);
    assertThat(coordinator.awaitFailure(30_000)).isTrue();
    assertThat(coordinator.failure()).contains("killed by signal 9 (SIGKILL)");
  }

  private NodeSpec spec(int port, Path localDir) throws IOException {
    ByteArrayOutputStream function = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(function)) {
      out.writeObject(new BlockingNode());
    }
    return new NodeSpec(
            "orphan",
            1,
            ONE_WORKER,
            "127.0.0.1",
            port,
            secret,
            InputMode.TENSORFLOW,
            null,
            function.toByteArray(),
            Map.of(),
            List.of("-Xmx128m"),
            60_000,
            60_000,
            PortRange.ANY,
            LIVENESS_MILLIS,
            ThreadPools.DEFAULT,
            Set.of())
        .onExecutor(0, "exec-0", "127.0.0.1", List.of(), tmp.toString(), localDir.toString());
  }

  /** Starts a driver JVM with a coordinator for one node; returns its port. */
  private int startDriver() throws Exception {
    Process driver = startStandIn("driver", Long.toString(LIVENESS_MILLIS));
    try (OutputStream in = driver.getOutputStream()) {
      in.write(
          (Base64.getEncoder().encodeToString(secret) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return Integer.parseInt(firstLine(driver));
  }

  private Process startExecutor(NodeSpec spec) throws Exception {
    Process executor = startStandIn("executor");
    try (ObjectOutputStream in = new ObjectOutputStream(executor.getOutputStream())) {
      in.writeObject(spec);
    }
    return executor;
  }

  private Process startStandIn(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(StandIn.class.getName());
    command.addAll(List.of(args));
    Path log = tmp.resolve(args[0] + "-" + standIns.size() + ".out");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(log.toFile())
            .redirectError(tmp.resolve(args[0] + "-" + standIns.size() + ".err").toFile())
            .start();
    standIns.add(process);
    logs.put(process, log);
    return process;
  }

  /** The first line a stand-in printed. */
  private String firstLine(Process standIn) throws IOException {
    Path log = logs.get(standIn);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String text = Files.readString(log);
      if (text.contains("\n")) {
        return text.substring(0, text.indexOf('\n')).trim();
      }
      assertThat(standIn.isAlive()).as("stand-in %s is running", log).isTrue();
      LockSupport.parkNanos(50_000_000L);
    }
    throw new AssertionError("The stand-in printed nothing within 60 s: " + log);
  }

  /** Waits until the node function marked its local directory: the node runs. */
  private static void awaitReady(Path localDir) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!Files.exists(localDir.resolve(BlockingNode.READY))) {
      assertThat(System.nanoTime()).as("node ready within 90 s").isLessThan(deadline);
      LockSupport.parkNanos(100_000_000L);
    }
  }

  /**
   * Waits until process {@code pid} has exited and {@code localDir} is gone; returns the seconds
   * since {@code since}.
   */
  private static long awaitGone(long pid, Path localDir, long since) {
    long deadline = since + TimeUnit.SECONDS.toNanos(60);
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
        || Files.exists(localDir)) {
      assertThat(System.nanoTime())
          .as("node %d exited and %s was removed within 60 s", pid, localDir)
          .isLessThan(deadline);
      LockSupport.parkNanos(100_000_000L);
    }
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
  }
}
