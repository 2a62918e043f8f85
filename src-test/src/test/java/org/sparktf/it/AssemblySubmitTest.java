package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples assembly through Spark's real submit path: {@code SparkSubmit} in a child JVM whose
 * classpath is a Spark installation (Spark, Scala and Hadoop client jars only), on the mini YARN
 * cluster in client mode, with nothing of SparkTF or TensorFlow on the cluster but the assembly.
 */
@ExtendWith(SharedHadoop.class)
class AssemblySubmitTest {
  private static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(10);

  private static final String DATA = "/data/assembly-submit-test/regression";

  @TempDir static Path dir;
  private static MiniHadoop hadoop;

  @BeforeAll
  static void writeData(SharedHadoop shared) throws Exception {
    hadoop = shared.hadoop();
    RegressionData.write(hadoop.fs(), new org.apache.hadoop.fs.Path(DATA), 11);
  }

  @Test
  void theExamplesAssemblyTrainsAndScoresOnYarnThroughSparkSubmit() throws Exception {
    Path assembly = Paths.get(System.getProperty("sparktf.test.assembly"));
    assertThat(assembly)
        .as("the examples assembly; build it with mvn package (or verify) first")
        .exists();
    SparkSubmission submission =
        new SparkSubmission.Builder(hadoop, dir)
            .deployMode("client")
            .executors(2)
            .start(
                "spark-submit",
                "org.sparktf.examples.regression.RegressionJob",
                assembly.toString(),
                hadoop.hdfs(DATA),
                hadoop.hdfs("/jobs/submitted"));
    ApplicationId appId = submission.applicationId(SUBMIT_TIMEOUT);
    submission.awaitSuccess(SUBMIT_TIMEOUT);
    String output = submission.output();

    ApplicationReport app = hadoop.client().getApplicationReport(appId);
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
    YarnProcesses.assertNothingLeft(
        hadoop, YarnProcesses.containerPrefix(appId), true, Duration.ofMinutes(2));
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
}
