package org.sparktf.core.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/** Counts the task slots a Spark application has, to refuse a cluster it cannot run. */
public final class SlotCounter {
  private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]");
  private static final Pattern LOCAL_CLUSTER =
      Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");

  private SlotCounter() {}

  /**
   * Throws unless the application has {@code required} task slots. Executors of a cluster manager
   * register over time, so this waits up to {@code waitMillis} for them.
   */
  public static void require(SparkContext sc, int required, long waitMillis) {
    SparkConf conf = sc.getConf();
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    String master = sc.master();
    if (master.equals("local") || master.startsWith("local[")) {
      int cores = localCores(master);
      check(cores / taskCpus, required, master + " with spark.task.cpus=" + taskCpus);
      return;
    }
    Matcher cluster = LOCAL_CLUSTER.matcher(master);
    if (cluster.matches()) {
      int slots =
          Integer.parseInt(cluster.group(1)) * (Integer.parseInt(cluster.group(2)) / taskCpus);
      check(slots, required, master + " with spark.task.cpus=" + taskCpus);
      return;
    }
    int executorCores = conf.getInt("spark.executor.cores", 1);
    long deadline = System.nanoTime() + waitMillis * 1_000_000L;
    int executors = executors(sc);
    while (executors * (executorCores / taskCpus) < required && System.nanoTime() < deadline) {
      // Executors register with the driver as the cluster manager grants them.
      synchronized (SlotCounter.class) {
        try {
          SlotCounter.class.wait(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      executors = executors(sc);
    }
    String detail =
        executors + " executors × " + executorCores + " cores / spark.task.cpus=" + taskCpus;
    check(executors * (executorCores / taskCpus), required, detail + yarnDetail(sc, executors));
  }

  /**
   * On YARN, says whether the cluster manager granted fewer executors than the application asked.
   */
  private static String yarnDetail(SparkContext sc, int executors) {
    SparkConf conf = sc.getConf();
    int instances = conf.getInt("spark.executor.instances", 0);
    if (!sc.master().startsWith("yarn") || instances <= executors) {
      return "";
    }
    return "; YARN granted "
        + executors
        + " of spark.executor.instances="
        + instances
        + " executors in queue "
        + conf.get("spark.yarn.queue", "default")
        + ": the queue or its node label has no room for more containers";
  }

  private static void check(int slots, int required, String detail) {
    if (slots < required) {
      throw CoreErrors.notEnoughSlots(slots, required, detail);
    }
  }

  private static int localCores(String master) {
    if (master.equals("local")) {
      return 1;
    }
    Matcher local = LOCAL.matcher(master);
    if (!local.matches() || local.group(1).equals("*")) {
      return Runtime.getRuntime().availableProcessors();
    }
    return Integer.parseInt(local.group(1));
  }

  private static int executors(SparkContext sc) {
    // The driver is in this list too; outside local mode it runs no tasks.
    return Math.max(0, sc.statusTracker().getExecutorInfos().length - 1);
  }
}
