package org.sparktf.it;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Spark settings for applications on {@link MiniHadoop}'s YARN in client mode. There is no Spark
 * distribution here: the Spark jars of the test classpath stand in for one, passed to the
 * containers as {@code local:} {@code spark.yarn.jars} (same machine, nothing uploaded).
 */
final class SparkOnYarn {
  /** Executor heap; with the 384 MiB overhead an executor fills one 1 GiB container. */
  static final String EXECUTOR_MEMORY = "640m";

  private SparkOnYarn() {}

  /** Every entry of the test classpath (surefire hides it behind a manifest-only jar). */
  static List<String> testClasspath() {
    String path =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> entries = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(entry);
      }
    }
    return entries;
  }

  /** What a Spark installation with YARN support has: no SparkTF, TensorFlow or test jars. */
  static boolean isSparkInstallation(String entry) {
    String name = new File(entry).getName();
    return !isTestOnly(entry)
        && !entry.contains("sparktf")
        && !entry.contains("/org/tensorflow/")
        && !entry.contains("/com/google/protobuf/")
        && !entry.contains("/org/bytedeco/")
        && !name.endsWith("classes");
  }

  /** Test libraries and the mini clusters: never on a container's classpath. */
  static boolean isTestOnly(String entry) {
    String name = new File(entry).getName();
    return name.equals("test-classes")
        || name.startsWith("hadoop-client-minicluster")
        || entry.contains("/org/junit/")
        || entry.contains("/org/assertj/")
        || entry.contains("/org/opentest4j/")
        || entry.contains("/org/apiguardian/")
        || entry.contains("/org/bouncycastle/")
        || entry.contains("surefire");
  }

  /** The given classpath entries as a {@code spark.yarn.jars} value. */
  static String yarnJars(Predicate<String> include) {
    List<String> jars = new ArrayList<>();
    for (String entry : testClasspath()) {
      if (include.test(entry)) {
        jars.add("local:" + entry);
      }
    }
    return String.join(",", jars);
  }

  /**
   * Client-mode settings: queue, container sizes, JVM options and JAVA_HOME of the AM and the
   * executors, and the mini clusters' Hadoop settings.
   */
  static Map<String, String> conf(MiniHadoop hadoop, String queue, int executors, String yarnJars) {
    String javaOptions = System.getProperty("sparktf.test.javaOptions", "");
    String javaHome = System.getProperty("java.home");
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.master", "yarn");
    conf.put("spark.submit.deployMode", "client");
    conf.put("spark.yarn.queue", queue);
    conf.put("spark.yarn.jars", yarnJars);
    conf.put("spark.yarn.maxAppAttempts", "1");
    conf.put("spark.executor.instances", Integer.toString(executors));
    conf.put("spark.executor.cores", "1");
    conf.put("spark.executor.memory", EXECUTOR_MEMORY);
    conf.put("spark.executor.memoryOverhead", "384m");
    conf.put("spark.yarn.am.memory", EXECUTOR_MEMORY);
    conf.put("spark.yarn.am.memoryOverhead", "384m");
    conf.put("spark.executor.extraJavaOptions", javaOptions);
    conf.put("spark.yarn.am.extraJavaOptions", javaOptions);
    conf.put("spark.executorEnv.JAVA_HOME", javaHome);
    conf.put("spark.yarn.appMasterEnv.JAVA_HOME", javaHome);
    // Servers the tests start listen on loopback only, the containers' included.
    conf.put("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
    conf.put("spark.yarn.appMasterEnv.SPARK_LOCAL_IP", "127.0.0.1");
    conf.put("spark.driver.host", "127.0.0.1");
    conf.put("spark.driver.bindAddress", "127.0.0.1");
    // The AM asks YARN for containers (and learns of lost ones) every second, not every 3 s.
    conf.put("spark.yarn.scheduler.heartbeat.interval-ms", "1000");
    conf.put("spark.ui.enabled", "false");
    conf.put("spark.sql.shuffle.partitions", "4");
    // Start scheduling once half the executors are there; a test may ask for more than YARN grants.
    conf.put("spark.scheduler.minRegisteredResourcesRatio", "0.5");
    conf.putAll(hadoop.sparkHadoopConf());
    return conf;
  }
}
