package org.sparktf.core.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Bytes this process sent and received over TensorFlow's gRPC connections (between TensorFlow
 * servers: variables and gradients). The feed's bytes are counted by the feed endpoint itself: its
 * connections last one feeding task each, too short for samples.
 *
 * <p>The mechanism: the kernel keeps per-socket byte counters ({@code tcp_info}'s {@code
 * bytes_sent}/{@code bytes_acked} and {@code bytes_received}), which {@code ss -tie} (iproute2)
 * prints with each socket's inode; this process's sockets are the {@code socket:[inode]} links in
 * {@code /proc/self/fd}. Per-process I/O counters ({@code /proc/<pid>/io}) do not count gRPC's
 * sendmsg/recvmsg, and {@code /proc/net/dev} counts the whole host. A socket's counters vanish when
 * it closes; the last values seen are kept, so a connection closed between two samples loses at
 * most its traffic since the previous sample (TensorFlow keeps its gRPC channels open).
 */
final class SocketBytes {
  private static final long SS_TIMEOUT_MILLIS = 5_000;

  private final Set<Integer> tfPorts;
  // Last counters seen per gRPC socket inode: {sent, received}.
  private final Map<Long, long[]> seen = new HashMap<>();
  private String unavailable;

  /**
   * @param tfPorts the ports of every TensorFlow server of the cluster, this node's included
   */
  SocketBytes(Set<Integer> tfPorts) {
    this.tfPorts = tfPorts;
  }

  /** Why the counters cannot be read here, or null while they can. */
  synchronized String unavailable() {
    return unavailable;
  }

  /** Reads the counters now; returns {sent, received} in all, or null. */
  synchronized long[] sample() {
    if (unavailable != null) {
      return null;
    }
    try {
      Set<Long> mine = socketInodes();
      readSs(mine);
    } catch (IOException e) {
      unavailable = "cannot read the socket counters with ss (iproute2): " + e.getMessage();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    long[] totals = new long[2];
    for (long[] counters : seen.values()) {
      totals[0] += counters[0];
      totals[1] += counters[1];
    }
    return totals;
  }

  private static Set<Long> socketInodes() throws IOException {
    Set<Long> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
          continue; // Closed meanwhile.
        }
        if (target.startsWith("socket:[")) {
          inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
        }
      }
    }
    return inodes;
  }

  private void readSs(Set<Long> mine) throws IOException, InterruptedException {
    Process ss =
        new ProcessBuilder("ss", "-tinHe", "state", "established")
            .redirectErrorStream(true)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(ss.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      long inode = -1;
      while ((line = out.readLine()) != null) {
        if (!line.startsWith("\t") && !line.startsWith(" ")) {
          inode = -1;
          String[] tokens = line.trim().split("\\s+");
          for (String token : tokens) {
            if (token.startsWith("ino:")) {
              inode = Long.parseLong(token.substring(4));
            }
          }
          boolean grpc =
              tokens.length >= 4
                  && mine.contains(inode)
                  && (tfPorts.contains(port(tokens[2])) || tfPorts.contains(port(tokens[3])));
          if (!grpc) {
            inode = -1;
          }
        } else if (inode >= 0) {
          long sent = counter(line, "bytes_sent:");
          if (sent < 0) {
            sent = Math.max(0, counter(line, "bytes_acked:") - 1);
          }
          long received = Math.max(0, counter(line, "bytes_received:"));
          seen.put(inode, new long[] {sent, received});
          inode = -1;
        }
      }
    } finally {
      if (!ss.waitFor(SS_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        ss.destroyForcibly();
        throw new IOException("ss did not finish within " + SS_TIMEOUT_MILLIS + " ms");
      }
    }
    if (ss.exitValue() != 0) {
      throw new IOException("ss exited with code " + ss.exitValue());
    }
  }

  private static int port(String address) {
    int colon = address.lastIndexOf(':');
    try {
      return Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static long counter(String line, String name) {
    int at = line.indexOf(name);
    if (at < 0) {
      return -1;
    }
    int start = at + name.length();
    int end = start;
    while (end < line.length() && Character.isDigit(line.charAt(end))) {
      end++;
    }
    return end == start ? -1 : Long.parseLong(line.substring(start, end));
  }
}
