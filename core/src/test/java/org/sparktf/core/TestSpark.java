package org.sparktf.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.sql.SparkSession;

/**
 * The SparkSessions the test classes of every module start, one per class: {@link #local} for tests
 * in one JVM, {@link #localCluster} for tests that need real executor JVMs (kills, separate
 * processes). Shipped in core's test-jar; estimators, examples, src-test and bench use it too.
 *
 * <p>Why not spark-testing-base: see docs/testing.md.
 */
public final class TestSpark {
  private TestSpark() {}

  /** {@code local[cores]}, UI off. */
  public static SparkSession local(String app, int cores) {
    return local(app, cores, Map.of());
  }

  /** {@code local[cores]}, UI off, with {@code conf} added. */
  public static SparkSession local(String app, int cores, Map<String, String> conf) {
    SparkSession.Builder builder =
        SparkSession.builder()
            .master("local[" + cores + "]")
            .appName(app)
            .config("spark.ui.enabled", "false");
    conf.forEach(builder::config);
    return builder.getOrCreate();
  }

  /**
   * {@code local-cluster[executors,1,1024]}: each executor a separate JVM with this JVM's class
   * path and the build's Java 17 options ({@code sparktf.test.javaOptions}); waits until every
   * executor has registered. {@code home} stands in for SPARK_HOME (Spark needs a {@code jars} dir
   * there).
   */
  public static SparkSession localCluster(
      String app, int executors, Path home, Map<String, String> conf) {
    try {
      Files.createDirectories(home.resolve("jars"));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot prepare the test Spark home " + home, e);
    }
    String javaOptions = System.getProperty("sparktf.test.javaOptions", "");
    SparkSession.Builder builder =
        SparkSession.builder()
            .master("local-cluster[" + executors + ",1,1024]")
            .appName(app)
            .config("spark.ui.enabled", "false")
            .config("spark.test.home", home.toString())
            .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
            .config("spark.executor.extraJavaOptions", javaOptions)
            .config("spark.driver.extraJavaOptions", javaOptions);
    conf.forEach(builder::config);
    SparkSession spark = builder.getOrCreate();
    awaitExecutors(spark, executors, Duration.ofMinutes(2));
    return spark;
  }

  /** Waits until {@code count} executors (not counting the driver) have registered. */
  public static void awaitExecutors(SparkSession spark, int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // The driver is listed too.
    while (spark.sparkContext().statusTracker().getExecutorInfos().length - 1 < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cannot start the test: fewer than " + count + " executors within " + timeout);
      }
      LockSupport.parkNanos(100_000_000L);
    }
  }

  /**
   * A TENSORFLOW-mode cluster of {@code executors} nodes, {@code ps} of them parameter servers, on
   * {@code modelDir}, with the tests' usual limits (60 s to assemble, 256 MiB per node JVM).
   */
  public static TFCluster.Builder tensorflowCluster(
      SparkSession spark, Path modelDir, int executors, int ps) {
    return TFCluster.builder(spark)
        .numExecutors(executors)
        .numPs(ps)
        .inputMode(InputMode.TENSORFLOW)
        .modelDir(modelDir.toUri().toString())
        .reservationTimeout(Duration.ofSeconds(60))
        .nodeJavaOptions("-Xmx256m");
  }

  /** Stops the session and forgets it, so that the next test class starts a fresh one. */
  public static void stop(SparkSession spark) {
    if (spark != null) {
      spark.stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }
}
