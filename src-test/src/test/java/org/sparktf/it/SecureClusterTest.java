package org.sparktf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.Leaks;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;

/**
 * SparkTF on a Kerberized HDFS and YARN ({@link SecureHadoop}), through spark-submit in client
 * mode: a job without Kerberos credentials fails at once, saying why; a job submitted with {@code
 * --principal}/{@code --keytab} trains from HDFS and keeps checkpointing to HDFS after its first
 * delegation tokens expired. The NameNode's tokens live at most {@link #TOKEN_LIFETIME}, much less
 * than the job, so the TensorFlow node's later checkpoints can only be written with the tokens
 * Spark obtained after submission and the executor passed on to the node.
 */
class SecureClusterTest {
  private static final Duration TOKEN_RENEWAL = Duration.ofSeconds(30);
  private static final Duration TOKEN_LIFETIME = Duration.ofSeconds(60);
  private static final long TRAIN_SECONDS = 80;
  private static final long SUBMIT_TIMEOUT_MINUTES = 6;
  private static final String RECORDS = "/user/" + SecureHadoop.USER + "/records";

  @TempDir static Path dir;
  private static SecureHadoop hadoop;

  @BeforeAll
  static void startClusters() throws Exception {
    hadoop = SecureHadoop.start(dir, TOKEN_RENEWAL, TOKEN_LIFETIME);
    hadoop.asUser(
        () -> {
          writeRecords(FileSystem.newInstance(hadoop.conf()));
          return null;
        });
  }

  @AfterAll
  static void stopClusters() {
    if (hadoop != null) {
      hadoop.close();
    }
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreadsUnderExecutors();
  }

  @Test
  void aKeytabJobTrainsFromHdfsAndCheckpointsPastItsFirstTokensLifetime() throws Exception {
    String work = "/user/" + SecureHadoop.USER + "/jobs/keytab";
    Submitted job =
        submit(
            List.of(
                "--principal", hadoop.userPrincipal(), "--keytab", hadoop.userKeytab().toString()),
            work);

    assertThat(job.exitCode).as("spark-submit's exit code:%n%s", job.tail()).isZero();
    assertThat(job.output).contains("SparkTF secure: trained and exported");
    ApplicationReport app = onlyApplication(SecureTrainingJob.NAME);
    // Spark obtained the first tokens before it submitted the application, so they expired by
    // its start time plus their lifetime at the latest.
    long firstTokensExpired = app.getStartTime() + TOKEN_LIFETIME.toMillis();
    Outcome outcome =
        hadoop.asUser(
            () -> {
              try (FileSystem fs = FileSystem.newInstance(hadoop.conf())) {
                return Outcome.read(fs, work);
              }
            });
    assertThat(outcome.savedModel).as("the SavedModel exported to HDFS").isTrue();
    // The node holds no keytab and no ticket, and its idle NameNode connections close after 1 s:
    // each later checkpoint authenticated with tokens the executor handed it after the first
    // ones, which the NameNode refuses once expired.
    assertThat(outcome.checkpointTimes)
        .as(
            "modification times of the checkpoints on HDFS; the first tokens expired by %d",
            firstTokensExpired)
        .anyMatch(time -> time > firstTokensExpired);
    // y = 2x + 1 without noise: the mean squared error falls far below its start (5 at w = b = 0).
    assertThat(outcome.loss).as("the final loss the chief wrote to HDFS").isBetween(0.0, 0.01);
  }

  @Test
  void aJobWithoutCredentialsFailsFastSayingItCannotAuthenticate() throws Exception {
    Submitted job = submit(List.of(), "/user/" + SecureHadoop.USER + "/jobs/anonymous");

    assertThat(job.exitCode).as("spark-submit's exit code:%n%s", job.tail()).isNotZero();
    assertThat(job.output).contains("Client cannot authenticate via:[TOKEN, KERBEROS]");
    assertThat(job.elapsed).isLessThan(Duration.ofMinutes(2));
  }

  /** Submits {@link SecureTrainingJob} from a JVM of its own; waits for it. */
  private static Submitted submit(List<String> credentials, String work) throws Exception {
    Path confDir = hadoop.writeConfDir();
    Path log = Files.createTempFile(dir, "spark-submit", ".log");
    String krb5 = "-Djava.security.krb5.conf=" + hadoop.krb5Conf();
    String javaOptions = System.getProperty("sparktf.test.javaOptions", "") + " " + krb5;
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.addAll(Arrays.asList(javaOptions.trim().split(" +")));
    command.add("-cp");
    command.add(confDir + File.pathSeparator + applicationClasspath());
    command.add("org.apache.spark.deploy.SparkSubmit");
    command.addAll(
        List.of(
            "--master", "yarn",
            "--deploy-mode", "client",
            "--num-executors", "1",
            "--executor-cores", "1",
            "--executor-memory", SparkOnYarn.EXECUTOR_MEMORY));
    command.addAll(credentials);
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.executor.memoryOverhead", "384m");
    conf.put("spark.yarn.am.memory", SparkOnYarn.EXECUTOR_MEMORY);
    conf.put("spark.yarn.am.memoryOverhead", "384m");
    conf.put("spark.yarn.jars", SparkOnYarn.yarnJars(entry -> !SparkOnYarn.isTestOnly(entry)));
    conf.put("spark.yarn.maxAppAttempts", "1");
    conf.put("spark.executor.extraJavaOptions", javaOptions);
    conf.put("spark.yarn.am.extraJavaOptions", javaOptions);
    conf.put("spark.executorEnv.JAVA_HOME", System.getProperty("java.home"));
    conf.put("spark.yarn.appMasterEnv.JAVA_HOME", System.getProperty("java.home"));
    conf.put("spark.driver.host", "127.0.0.1");
    // Once the AM registers, the driver puts YARN's AmIpFilter on its web UI, a class of the
    // ResourceManager's web proxy that the client classpath does not have.
    conf.put("spark.ui.enabled", "false");
    conf.forEach(
        (key, value) -> {
          command.add("--conf");
          command.add(key + "=" + value);
        });
    command.addAll(
        List.of(
            "--class",
            SecureTrainingJob.class.getName(),
            applicationJar().toString(),
            hadoop.hdfs(RECORDS),
            hadoop.hdfs(work),
            Long.toString(TRAIN_SECONDS)));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("HADOOP_CONF_DIR", confDir.toString());
    // No Kerberos ticket but what --principal/--keytab give.
    builder.environment().put("KRB5CCNAME", "FILE:" + dir.resolve("no-ticket-cache"));
    long start = System.nanoTime();
    Process submit = builder.start();
    boolean exited = submit.waitFor(SUBMIT_TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!exited) {
      submit.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(exited)
        .as("spark-submit exited within %d minutes:%n%s", SUBMIT_TIMEOUT_MINUTES, output)
        .isTrue();
    return new Submitted(submit.exitValue(), output, Duration.ofNanos(System.nanoTime() - start));
  }

  private static ApplicationReport onlyApplication(String name) throws Exception {
    List<ApplicationReport> apps =
        hadoop.client().getApplications(EnumSet.of(YarnApplicationState.FINISHED)).stream()
            .filter(app -> app.getName().equals(name))
            .collect(Collectors.toList());
    assertThat(apps).hasSize(1);
    return apps.get(0);
  }

  /** What the keytab job left on HDFS. */
  private record Outcome(boolean savedModel, List<Long> checkpointTimes, double loss) {
    static Outcome read(FileSystem fs, String work) throws IOException {
      List<Long> checkpoints =
          Arrays.stream(fs.listStatus(new org.apache.hadoop.fs.Path(work + "/model/checkpoints")))
              .filter(s -> s.getPath().getName().startsWith("latest-"))
              .map(FileStatus::getModificationTime)
              .collect(Collectors.toList());
      String loss;
      try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(work + "/loss"))) {
        loss = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      }
      return new Outcome(
          fs.exists(new org.apache.hadoop.fs.Path(work + "/export/saved_model.pb")),
          checkpoints,
          Double.parseDouble(loss));
    }
  }

  /** What spark-submit's JVM needs: Spark, Hadoop's client, SparkTF and TensorFlow. */
  private static String applicationClasspath() {
    return SparkOnYarn.testClasspath().stream()
        .filter(entry -> !SparkOnYarn.isTestOnly(entry))
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** The application jar: the job's classes from this module's test classes. */
  private static Path applicationJar() throws Exception {
    Path classes =
        Paths.get(
            SecureTrainingJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String pkg = SecureTrainingJob.class.getPackageName().replace('.', '/');
    Path jar = dir.resolve("secure-job.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.list(classes.resolve(pkg))) {
      for (Path file :
          files
              .filter(f -> f.getFileName().toString().startsWith("SecureTrainingJob"))
              .collect(Collectors.toList())) {
        out.putNextEntry(new JarEntry(pkg + "/" + file.getFileName()));
        Files.copy(file, out);
        out.closeEntry();
      }
    }
    return jar;
  }

  /** y = 2x + 1 as "x,y" text records in two TFRecord files. */
  private static void writeRecords(FileSystem fs) throws IOException {
    Random random = new Random(5);
    for (int file = 0; file < 2; file++) {
      try (OutputStream raw =
              fs.create(new org.apache.hadoop.fs.Path(RECORDS + "/part-" + file + ".tfrecord"));
          TFRecordFrameWriter out = new TFRecordFrameWriter(raw)) {
        for (int i = 0; i < 200; i++) {
          float x = (float) random.nextGaussian();
          byte[] record = (x + "," + (2 * x + 1)).getBytes(StandardCharsets.UTF_8);
          out.write(record, 0, record.length);
        }
      }
    }
    fs.close();
  }

  private record Submitted(int exitCode, String output, Duration elapsed) {
    String tail() {
      return output.length() > 8000 ? output.substring(output.length() - 8000) : output;
    }
  }
}
