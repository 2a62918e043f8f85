package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.sparktf.core.internal.NodeMain;

/** Checks that a cluster left no node process and no SparkTF thread behind. */
public final class Leaks {
  private Leaks() {}

  public static void assertNoNodeProcessesOrThreads() {
    assertNothingLeft(Leaks::nodeProcesses);
  }

  /**
   * The same on separate executor JVMs (local-cluster), where the executors are this JVM's
   * descendants too: only processes running a node's main class count.
   */
  public static void assertNoNodeProcessesOrThreadsUnderExecutors() {
    assertNothingLeft(
        () ->
            ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .filter(p -> arguments(p).contains(NodeMain.class.getName()))
                .map(p -> "process " + p.pid() + " " + arguments(p))
                .collect(Collectors.toList()));
  }

  /** Fails unless every TensorFlow server port of {@code cluster} can be bound again soon. */
  public static void assertPortsReleased(ClusterSpec cluster) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    List<String> busy = busyPorts(cluster);
    while (!busy.isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(50_000_000L);
      busy = busyPorts(cluster);
    }
    assertThat(busy).as("TensorFlow server ports still bound").isEmpty();
  }

  private static List<String> busyPorts(ClusterSpec cluster) {
    List<String> busy = new ArrayList<>();
    for (List<String> tasks : cluster.jobs().values()) {
      for (String address : tasks) {
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        try (ServerSocket socket = new ServerSocket()) {
          socket.bind(new InetSocketAddress(port));
        } catch (IOException e) {
          busy.add(address + " (" + e.getMessage() + ")");
        }
      }
    }
    return busy;
  }

  /**
   * The process's command line. Read from /proc: ProcessHandle.Info leaves out the arguments of a
   * command line as long as a node's (its class path).
   */
  public static String arguments(ProcessHandle process) {
    try {
      byte[] cmdline =
          Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
      return new String(cmdline, StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      // The process is gone, or this is not Linux.
      return process.info().commandLine().orElse("");
    }
  }

  private static void assertNothingLeft(Supplier<List<String>> processes) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    List<String> left = leftovers(processes);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(50_000_000L);
      left = leftovers(processes);
    }
    assertThat(left).as("node processes and SparkTF threads left behind").isEmpty();
  }

  /** The live child processes of this JVM: in these tests, only node processes start any. */
  static List<String> nodeProcesses() {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .map(p -> "process " + p.pid() + " " + p.info().command().orElse("?"))
        .collect(Collectors.toList());
  }

  private static List<String> leftovers(Supplier<List<String>> processes) {
    List<String> left = new ArrayList<>(processes.get());
    Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("sparktf-"))
        .forEach(name -> left.add("thread " + name));
    return left;
  }
}
