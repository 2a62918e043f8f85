package org.sparktf.core.internal;

/**
 * The exit codes of a node's process, in one place. The codes SparkTF chooses stay clear of those
 * the JVM and the OS use on their own: 1 (an uncaught error), 3 (HotSpot's {@code
 * -XX:+ExitOnOutOfMemoryError}, which every node runs with), and 128 + n (killed by signal n, as
 * 134 for SIGABRT from a native crash and 137 for SIGKILL). docs/cluster.md lists them too.
 */
public final class NodeExit {
  /** The node function returned and the driver then stopped the node. */
  public static final int OK = 0;

  /** The node function threw, or the node could not start or join its cluster. */
  public static final int FAILED = 1;

  /** Not SparkTF's: HotSpot's exit on OutOfMemoryError ({@code -XX:+ExitOnOutOfMemoryError}). */
  public static final int OUT_OF_MEMORY = 3;

  /** The driver stopped the node while its function still ran (close(), or another node failed). */
  public static final int STOPPED = 80;

  /** The supervising executor is gone: the node's standard input closed. */
  public static final int PARENT_GONE = 81;

  /** The driver closed the node's control connection (it stopped or died). */
  public static final int DRIVER_GONE = 82;

  /**
   * The driver declared the node lost and fenced it off: a newer generation of the cluster replaces
   * it, so nothing it still computes may count.
   */
  public static final int SUPERSEDED = 83;

  /** The node heard nothing from the driver within the liveness timeout (a partition, a freeze). */
  public static final int LIVENESS_LOST = 84;

  private NodeExit() {}

  /** What an exit code of a node's process means, for logs and error messages. */
  public static String describe(int code) {
    switch (code) {
      case OK:
        return "finished";
      case FAILED:
        return "failed";
      case OUT_OF_MEMORY:
        return "ran out of Java heap (-XX:+ExitOnOutOfMemoryError); raise -Xmx in nodeJavaOptions";
      case STOPPED:
        return "stopped by the driver while its function ran";
      case PARENT_GONE:
        return "its executor went away";
      case DRIVER_GONE:
        return "its connection to the driver closed";
      case SUPERSEDED:
        return "declared lost and superseded by a newer generation of the cluster";
      case LIVENESS_LOST:
        return "heard nothing from the driver within the liveness timeout";
      default:
        if (code > 128 && code < 160) {
          return "killed by signal " + (code - 128) + signalName(code - 128);
        }
        return "exit code " + code;
    }
  }

  private static String signalName(int signal) {
    switch (signal) {
      case 6:
        return " (SIGABRT: a native crash)";
      case 9:
        return " (SIGKILL)";
      case 15:
        return " (SIGTERM)";
      default:
        return "";
    }
  }
}
