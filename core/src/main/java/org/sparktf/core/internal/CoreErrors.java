package org.sparktf.core.internal;

import org.sparktf.core.TFClusterException;

/** The user-facing errors of the cluster runtime, in one place so they read alike. */
public final class CoreErrors {
  private CoreErrors() {}

  public static TFClusterException notEnoughSlots(int slots, int requested, String detail) {
    return new TFClusterException(
        "Cannot start cluster: "
            + slots
            + " executor task slots available, "
            + requested
            + " requested ("
            + detail
            + "); set spark.executor.instances="
            + requested
            + " with spark.executor.cores equal to spark.task.cpus (one TensorFlow node per"
            + " executor), or lower numExecutors");
  }

  public static TFClusterException dynamicAllocation() {
    return new TFClusterException(
        "Cannot start cluster: spark.dynamicAllocation.enabled is true; a TensorFlow cluster needs"
            + " a fixed set of executors for its whole life, set spark.dynamicAllocation.enabled=false");
  }

  public static IllegalStateException speculation(String action) {
    return new IllegalStateException(
        "Cannot "
            + action
            + ": spark.speculation is true; a speculative copy of a feeding task would feed its"
            + " rows to the workers a second time. Set spark.speculation=false for this"
            + " application");
  }

  public static TFClusterException nativeLibrary(Throwable cause) {
    return new TFClusterException(
        "Cannot start cluster: the TensorFlow native library does not load on the driver ("
            + cause
            + "); add tensorflow-core-native with the classifier of this platform (linux-x86_64 or"
            + " linux-x86_64-gpu) to the application",
        cause);
  }

  public static TFClusterException notSerializable(Throwable cause) {
    return new TFClusterException(
        "Cannot start cluster: the node function is not serializable ("
            + cause
            + "); everything it captures must implement java.io.Serializable",
        cause);
  }

  public static TFClusterException reservationTimeout(
      int registered, int expected, long timeoutMillis, String failure) {
    return new TFClusterException(
        "Cannot start cluster: "
            + registered
            + " of "
            + expected
            + " TensorFlow nodes registered within "
            + timeoutMillis / 1000
            + " s"
            + (failure == null ? "" : " (" + failure + ")")
            + ". Spark must run all "
            + expected
            + " node tasks at once, one per executor: check spark.executor.instances (>= "
            + expected
            + "), that spark.executor.cores equals spark.task.cpus, that dynamic allocation is off,"
            + " and that the cluster manager (YARN queue) can grant that many executors");
  }

  public static TFClusterException twoNodesOnOneExecutor(String executorId, String node) {
    return new TFClusterException(
        "Cannot start TensorFlow node "
            + node
            + ": executor "
            + executorId
            + " already runs a node of this cluster; give each executor one task slot"
            + " (spark.executor.cores equal to spark.task.cpus)");
  }

  public static TFClusterException restartFailed(String cause, TFClusterException failure) {
    return new TFClusterException(
        "Cannot restart cluster after a node loss ("
            + cause
            + "): "
            + failure.getMessage()
            + "; check that Spark replaced the lost executor (spark.executor.instances, the"
            + " cluster manager's capacity), then start the cluster again: it resumes from the"
            + " latest checkpoint",
        failure);
  }

  public static TFClusterException timeout(String what, long timeoutMillis) {
    return new TFClusterException(
        "Cannot " + what + ": no result within " + timeoutMillis / 1000 + " s");
  }

  public static IllegalStateException wrongMode(String action, String mode) {
    return new IllegalStateException(
        "Cannot " + action + ": the cluster runs in InputMode." + mode);
  }
}
