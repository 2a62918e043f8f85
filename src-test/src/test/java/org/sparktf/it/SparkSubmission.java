package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.yarn.api.records.ApplicationId;

/**
 * One {@code spark-submit} as a user runs it: {@code org.apache.spark.deploy.SparkSubmit} in a JVM
 * of its own whose class path is a Spark installation (Spark, Scala and Hadoop client jars only)
 * and the mini clusters' HADOOP_CONF_DIR, on queue CPU_Q, with nothing of SparkTF or TensorFlow on
 * the cluster but the application jar.
 */
final class SparkSubmission {
  private static final Pattern SUBMITTED =
      Pattern.compile("Submitting application (application_\\d+_\\d+) to ResourceManager");

  private final Process process;
  private final Path log;

  private SparkSubmission(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** What to submit: a deploy mode, executors, extra settings, the application and its args. */
  static final class Builder {
    private final MiniHadoop hadoop;
    private final Path workDir;
    private String deployMode = "client";
    private int executors = 2;
    private final Map<String, String> conf = new LinkedHashMap<>();
    private final List<String> files = new ArrayList<>();
    private final List<String> launcherOptions = new ArrayList<>();

    Builder(MiniHadoop hadoop, Path workDir) {
      this.hadoop = hadoop;
      this.workDir = workDir;
    }

    Builder deployMode(String mode) {
      this.deployMode = mode;
      return this;
    }

    Builder executors(int n) {
      this.executors = n;
      return this;
    }

    Builder conf(String key, String value) {
      conf.put(key, value);
      return this;
    }

    /**
     * A JVM option of spark-submit's own JVM (in client mode, the driver's): a JVM that is already
     * running cannot take {@code spark.driver.extraJavaOptions}.
     */
    Builder launcherOption(String option) {
      launcherOptions.add(option);
      return this;
    }

    /** A local file every container gets in its working directory ({@code --files}). */
    Builder file(Path file) {
      files.add(file.toString());
      return this;
    }

    /** Starts spark-submit; its output goes to {@code <workDir>/<name>.log}. */
    SparkSubmission start(String name, String mainClass, String appJar, String... args)
        throws IOException {
      Path confDir = hadoop.writeConfDir();
      Path log = workDir.resolve(name + ".log");
      List<String> command = new ArrayList<>();
      command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx512m");
      command.addAll(javaOptions());
      command.addAll(launcherOptions);
      command.add("-cp");
      command.add(confDir + File.pathSeparator + sparkInstallation());
      command.add("org.apache.spark.deploy.SparkSubmit");
      command.addAll(
          List.of(
              "--master",
              "yarn",
              "--deploy-mode",
              deployMode,
              "--queue",
              "CPU_Q",
              "--num-executors",
              Integer.toString(executors),
              "--executor-cores",
              "1",
              "--executor-memory",
              SparkOnYarn.EXECUTOR_MEMORY,
              "--driver-memory",
              SparkOnYarn.EXECUTOR_MEMORY));
      if (!files.isEmpty()) {
        command.add("--files");
        command.add(String.join(",", files));
      }
      for (Map.Entry<String, String> e : settings().entrySet()) {
        command.add("--conf");
        command.add(e.getKey() + "=" + e.getValue());
      }
      command.add("--class");
      command.add(mainClass);
      command.add(appJar);
      command.addAll(Arrays.asList(args));
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().put("HADOOP_CONF_DIR", confDir.toString());
      return new SparkSubmission(builder.start(), log);
    }

    private Map<String, String> settings() {
      String javaHome = System.getProperty("java.home");
      String javaOptions = String.join(" ", javaOptions());
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("spark.executor.memoryOverhead", "384m");
      settings.put("spark.driver.memoryOverhead", "384m");
      settings.put("spark.yarn.am.memory", SparkOnYarn.EXECUTOR_MEMORY);
      settings.put("spark.yarn.am.memoryOverhead", "384m");
      settings.put("spark.yarn.jars", SparkOnYarn.yarnJars(SparkOnYarn::isSparkInstallation));
      settings.put("spark.yarn.maxAppAttempts", "1");
      settings.put("spark.dynamicAllocation.enabled", "false");
      settings.put("spark.executorEnv.JAVA_HOME", javaHome);
      settings.put("spark.yarn.appMasterEnv.JAVA_HOME", javaHome);
      // Servers the tests start listen on loopback only, the containers' included.
      settings.put("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
      settings.put("spark.yarn.appMasterEnv.SPARK_LOCAL_IP", "127.0.0.1");
      if (deployMode.equals("client")) {
        settings.put("spark.driver.host", "127.0.0.1");
      }
      // The AM asks YARN for containers (and learns of lost ones) every second, not every 3 s.
      settings.put("spark.yarn.scheduler.heartbeat.interval-ms", "1000");
      settings.put("spark.ui.enabled", "false");
      settings.put("spark.sql.shuffle.partitions", "4");
      settings.put("spark.executor.extraJavaOptions", javaOptions);
      settings.put("spark.driver.extraJavaOptions", javaOptions);
      settings.put("spark.yarn.am.extraJavaOptions", javaOptions);
      // JVM options add to the Java 17 opens; every other setting replaces the default.
      conf.forEach(
          (key, value) ->
              settings.merge(key, value, (a, b) -> key.endsWith("JavaOptions") ? a + " " + b : b));
      return settings;
    }
  }

  /** Spark and Hadoop jars only, as in $SPARK_HOME/jars. */
  static String sparkInstallation() {
    return SparkOnYarn.testClasspath().stream()
        .filter(SparkOnYarn::isSparkInstallation)
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static List<String> javaOptions() {
    String options = System.getProperty("sparktf.test.javaOptions", "").trim();
    return options.isEmpty() ? List.of() : Arrays.asList(options.split(" +"));
  }

  /** The application YARN accepted, once spark-submit reported it. */
  ApplicationId applicationId(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Matcher m = SUBMITTED.matcher(output());
      if (m.find()) {
        return ApplicationId.fromString(m.group(1));
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "Cannot find the application id: spark-submit "
                + (process.isAlive() ? "did not submit within " + timeout : "exited")
                + ":\n"
                + tail());
      }
      LockSupport.parkNanos(200_000_000L);
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for spark-submit to exit (killing it after {@code timeout}) and returns its code. */
  int await(Duration timeout) throws Exception {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("spark-submit did not exit within " + timeout + ":\n" + tail());
    }
    return process.exitValue();
  }

  /** Waits for spark-submit and asserts that it succeeded. */
  void awaitSuccess(Duration timeout) throws Exception {
    assertThat(await(timeout)).as("spark-submit's exit code:%n%s", tail()).isZero();
  }

  String output() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  String tail() throws IOException {
    String output = output();
    return output.length() > 8000 ? output.substring(output.length() - 8000) : output;
  }

  /** Ends spark-submit if it still runs (after a failed test). */
  void destroy() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
