package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples assembly through Spark's real submit path: {@code SparkSubmit} in a child JVM whose
 * classpath is a Spark installation (Spark, Scala and Hadoop client jars only), on the mini YARN
 * cluster in client mode, with nothing of SparkTF or TensorFlow on the cluster but the assembly.
 */
class AssemblySubmitTest {
  private static final long SUBMIT_TIMEOUT_MINUTES = 10;

  @TempDir static Path dir;
  private static MiniHadoop hadoop;

  @BeforeAll
  static void startClusters() throws Exception {
    hadoop = MiniHadoop.start(dir);
    RegressionData.write(hadoop.fs(), new org.apache.hadoop.fs.Path("/data/regression"), 11);
  }

  @AfterAll
  static void stopClusters() {
    if (hadoop != null) {
      hadoop.close();
    }
  }

  @Test
  void theExamplesAssemblyTrainsAndScoresOnYarnThroughSparkSubmit() throws Exception {
    Path assembly = Paths.get(System.getProperty("sparktf.test.assembly"));
    assertThat(assembly)
        .as("the examples assembly; build it with mvn package (or verify) first")
        .exists();
    Path confDir = hadoop.writeConfDir();
    Path log = dir.resolve("spark-submit.log");
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.addAll(Arrays.asList(System.getProperty("sparktf.test.javaOptions", "").split(" ")));
    command.add("-cp");
    command.add(confDir + File.pathSeparator + sparkInstallation());
    command.add("org.apache.spark.deploy.SparkSubmit");
    command.addAll(
        List.of(
            "--master",
            "yarn",
            "--deploy-mode",
            "client",
            "--queue",
            "CPU_Q",
            "--num-executors",
            "2",
            "--executor-cores",
            "1",
            "--executor-memory",
            SparkOnYarn.EXECUTOR_MEMORY,
            "--conf",
            "spark.executor.memoryOverhead=384m",
            "--conf",
            "spark.yarn.am.memory=" + SparkOnYarn.EXECUTOR_MEMORY,
            "--conf",
            "spark.yarn.am.memoryOverhead=384m",
            "--conf",
            "spark.yarn.jars=" + SparkOnYarn.yarnJars(SparkOnYarn::isSparkInstallation),
            "--conf",
            "spark.yarn.maxAppAttempts=1",
            "--conf",
            "spark.executor.extraJavaOptions=" + javaOptions(),
            "--conf",
            "spark.yarn.am.extraJavaOptions=" + javaOptions(),
            "--conf",
            "spark.executorEnv.JAVA_HOME=" + System.getProperty("java.home"),
            "--conf",
            "spark.yarn.appMasterEnv.JAVA_HOME=" + System.getProperty("java.home"),
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
            "--class",
            "org.sparktf.examples.regression.RegressionJob",
            assembly.toString(),
            hadoop.hdfs("/data/regression"),
            hadoop.hdfs("/jobs/submitted")));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("HADOOP_CONF_DIR", confDir.toString());
    Process submit = builder.start();
    boolean exited = submit.waitFor(SUBMIT_TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!exited) {
      submit.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(exited)
        .as("spark-submit exited within %d minutes:%n%s", SUBMIT_TIMEOUT_MINUTES, tail(output))
        .isTrue();
    assertThat(submit.exitValue()).as("spark-submit's exit code:%n%s", tail(output)).isZero();

    ApplicationReport app = onlyApplication();
    assertThat(app.getName()).isEqualTo("SparkTF regression");
    assertThat(app.getQueue()).isEqualTo("CPU_Q");
    assertThat(app.getFinalApplicationStatus()).isEqualTo(FinalApplicationStatus.SUCCEEDED);

    FileSystem fs = hadoop.fs();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path("/jobs/submitted/export/saved_model.pb")))
        .isTrue();
    String metrics = metricsJson(fs);
    assertThat(metrics).contains("\"rows\":" + RegressionData.ROWS);
    double rmse = Double.parseDouble(metrics.replaceAll(".*\"rmse\":([0-9.Ee-]+).*", "$1").trim());
    assertThat(rmse).isLessThan(0.3);
    assertThat(output).contains("SparkTF regression: {\"rows\":" + RegressionData.ROWS);
  }

  /** Spark and Hadoop jars only, as in $SPARK_HOME/jars. */
  private static String sparkInstallation() {
    return SparkOnYarn.testClasspath().stream()
        .filter(SparkOnYarn::isSparkInstallation)
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static String javaOptions() {
    return System.getProperty("sparktf.test.javaOptions", "");
  }

  private static ApplicationReport onlyApplication() throws Exception {
    List<ApplicationReport> apps =
        hadoop.client().getApplications(EnumSet.of(YarnApplicationState.FINISHED));
    assertThat(apps).hasSize(1);
    return apps.get(0);
  }

  private static String metricsJson(FileSystem fs) throws Exception {
    for (FileStatus file :
        fs.listStatus(new org.apache.hadoop.fs.Path("/jobs/submitted/metrics"))) {
      if (file.getPath().getName().endsWith(".json")) {
        try (var in = fs.open(file.getPath())) {
          return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError("Cannot find the metrics: no JSON file in /jobs/submitted/metrics");
  }

  private static String tail(String output) {
    return output.length() > 8000 ? output.substring(output.length() - 8000) : output;
  }
}
