package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.sparktf.core.Leaks;

/**
 * What an application's containers leave on the NodeManagers: TensorFlow node processes (found by
 * their main class and a working directory in one of the application's containers, so other builds
 * on the machine do not count) and {@code sparktf-node-*} directories in those containers under the
 * NodeManagers' local dirs (so other applications on the shared cluster do not count).
 */
final class YarnProcesses {
  private static final String NODE_MAIN = "org.sparktf.core.internal.NodeMain";

  private YarnProcesses() {}

  /** The part every container id of the attempt holds: {@code <cluster ts>_<app>_<attempt>_}. */
  static String containerPrefix(ApplicationAttemptId attempt) {
    ApplicationId app = attempt.getApplicationId();
    return String.format(
        "%d_%04d_%02d_", app.getClusterTimestamp(), app.getId(), attempt.getAttemptId());
  }

  /** The part every container id of the application holds: {@code <cluster ts>_<app>_}. */
  static String containerPrefix(ApplicationId app) {
    return String.format("%d_%04d_", app.getClusterTimestamp(), app.getId());
  }

  /** Live TensorFlow node processes running in a container whose id holds {@code prefix}. */
  static List<String> nodeProcesses(String prefix) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(p -> Leaks.arguments(p).contains(NODE_MAIN))
        .filter(p -> workingDir(p).contains("_" + prefix))
        .map(p -> "process " + p.pid() + " in " + workingDir(p))
        .collect(Collectors.toList());
  }

  /**
   * {@code sparktf-node-*} directories under the NodeManagers' local dirs, in a container whose id
   * holds {@code prefix} (a node's directory is in its executor container's {@code tmp}): other
   * applications on the shared cluster do not count.
   */
  static List<Path> nodeDirs(MiniHadoop hadoop, String prefix) throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path dir : hadoop.localDirs()) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(p -> p.getFileName().toString().startsWith("sparktf-node-"))
            .filter(p -> p.toString().contains("_" + prefix))
            .forEach(found::add);
      } catch (IOException | java.io.UncheckedIOException e) {
        // A container directory deleted while walking: look again on the next poll.
        found.add(dir.resolve("(changing: " + e.getMessage() + ")"));
      }
    }
    return found;
  }

  /**
   * Waits (up to {@code timeout}) until no node process of containers matching {@code prefix} runs
   * and, when {@code localDirs}, no {@code sparktf-node-*} directory of those containers is left.
   */
  static void assertNothingLeft(
      MiniHadoop hadoop, String prefix, boolean localDirs, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> left = leftovers(hadoop, prefix, localDirs);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(250_000_000L);
      left = leftovers(hadoop, prefix, localDirs);
    }
    assertThat(left)
        .as("node processes and sparktf-node-* directories left %s after the application", timeout)
        .isEmpty();
  }

  private static List<String> leftovers(MiniHadoop hadoop, String prefix, boolean localDirs)
      throws IOException {
    List<String> left = new ArrayList<>(nodeProcesses(prefix));
    if (localDirs) {
      nodeDirs(hadoop, prefix).forEach(p -> left.add("directory " + p));
    }
    return left;
  }

  private static String workingDir(ProcessHandle process) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd"))
          .toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }
}
