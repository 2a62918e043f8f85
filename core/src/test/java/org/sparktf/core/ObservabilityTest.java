package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user watching a run sees: progress events and the profile report on the driver, SparkTF's
 * metrics in a Spark metrics sink (CsvSink), job descriptions and tags in Spark, and a notebook's
 * Cancel (the caller's job group) stopping training.
 */
class ObservabilityTest {
  private static final String PLUGIN_SOURCE = "plugin.org.sparktf.core.SparkTFMetricsPlugin.";
  private static SparkSession spark;
  private static Path metricsDir;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() throws IOException {
    metricsDir = Files.createTempDirectory("sparktf-metrics");
    spark =
        TestSpark.local(
            "ObservabilityTest",
            3,
            Map.of(
                "spark.plugins", SparkTFMetricsPlugin.class.getName(),
                "spark.metrics.conf.*.sink.csv.class", "org.apache.spark.metrics.sink.CsvSink",
                "spark.metrics.conf.*.sink.csv.period", "1",
                "spark.metrics.conf.*.sink.csv.unit", "seconds",
                "spark.metrics.conf.*.sink.csv.directory", metricsDir.toString()));
  }

  @AfterAll
  static void stopSpark() throws IOException {
    TestSpark.stop(spark);
    try (Stream<Path> files = Files.list(metricsDir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.delete(file);
      }
    }
    Files.delete(metricsDir);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  private static Dataset<Row> regressionRows(long n, int partitions) {
    return spark
        .range(0, n, 1, partitions)
        .select(
            functions.expr("CAST((id % 100) / 100.0 AS FLOAT)").as("x"),
            functions.expr("CAST(3 * ((id % 100) / 100.0) + 2 AS FLOAT)").as("y"));
  }

  @Test
  void reportsProgressEpochsAndProfileAndPublishesThemAsSparkMetrics() throws Exception {
    Dataset<Row> data = regressionRows(3000, 6).cache();
    long rows = data.count();
    List<TrainingProgress> events = new CopyOnWriteArrayList<>();
    TrainingProgress finished;
    try (TFCluster cluster =
        SparkFeedTest.cluster(spark, dir)
            .numExecutors(3)
            .numPs(1)
            .progressInterval(Duration.ofMillis(500))
            .run(ResumableRegression.fed(0))) {
      cluster.addProgressListener(events::add);
      cluster.train(data, 2);
      cluster.shutdown();
      finished = cluster.progress();
    } finally {
      data.unpersist();
    }
    long finalStep = Long.parseLong(Files.readString(dir.resolve("final.txt")).split(" ")[0]);

    // Epoch ends: the rows the feeding tasks counted, exactly the DataFrame's per epoch.
    List<TrainingProgress> epochEnds =
        events.stream().filter(e -> e.event() == TrainingProgress.Event.EPOCH_END).toList();
    assertThat(epochEnds).extracting(TrainingProgress::epoch).containsExactly(1, 2);
    assertThat(epochEnds).extracting(TrainingProgress::epochRows).containsExactly(rows, rows);
    assertThat(epochEnds).extracting(TrainingProgress::rowsFed).containsExactly(rows, 2 * rows);
    assertThat(epochEnds.get(1).rowsTotal()).isEqualTo(2 * rows);
    assertThat(epochEnds).allMatch(e -> e.epochs() == 2);
    // The global step never goes back, and ends at the chief's final step.
    long previous = -1;
    for (TrainingProgress event : events) {
      assertThat(event.globalStep())
          .as("global step of %s", event)
          .isGreaterThanOrEqualTo(previous);
      previous = event.globalStep();
    }
    TrainingProgress last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo(TrainingProgress.Event.FINISHED);
    assertThat(last.globalStep()).isEqualTo(finalStep);
    assertThat(finished.globalStep()).isEqualTo(finalStep);
    assertThat(last.loss()).isFinite().isLessThan(1.0);

    // The profile: every row trained once per epoch, split over the two workers.
    assertThat(last.workers()).extracting(TrainingProgress.Worker::task).containsExactly(0, 1);
    assertThat(last.workers().stream().mapToLong(TrainingProgress.Worker::examples).sum())
        .isEqualTo(2 * rows);
    assertThat(last.workers().stream().mapToLong(TrainingProgress.Worker::steps).sum())
        .isEqualTo(finalStep);
    for (TrainingProgress.Worker w : last.workers()) {
      assertThat(w.computeMillisPerStep()).isGreaterThan(0).isLessThan(10_000);
      assertThat(w.dataWaitMillisPerStep()).isGreaterThanOrEqualTo(0).isLessThan(10_000);
      if (ssAvailable()) {
        // Each step reads w and b from the PS and sends their gradients: tens of bytes at least.
        assertThat(w.grpcBytesReceived()).isGreaterThan(20 * w.steps());
        assertThat(w.grpcBytesSent()).isGreaterThan(20 * w.steps());
      } else {
        assertThat(w.bytesUnavailable()).hasValueSatisfying(m -> assertThat(m).contains("ss"));
      }
      // Every row fed is two floats.
      assertThat(w.feedBytesReceived()).isGreaterThan(8 * w.examples());
    }
    assertThat(last.profileReport())
        .contains("profile at global step " + finalStep)
        .contains("worker 0: ")
        .contains("worker 1: ")
        .contains("compute");

    // The plugin's gauges, as Spark's CsvSink wrote them.
    assertThat(awaitMetric("globalStep", finalStep)).isEqualTo(finalStep);
    assertThat(awaitMetric("rowsFed", 2 * rows)).isEqualTo(2 * rows);
    assertThat(awaitMetric("worker.1.globalStep", -1)).isBetween(1.0, (double) finalStep);
    // Taken when the workers finished, while their processes still answered heartbeats.
    assertThat(awaitMetric("worker.0.secondsSinceHeartbeat", -1)).isBetween(0.0, 120.0);
    assertThat(awaitMetric("worker.0.feedQueueDepth", -1)).isBetween(0.0, 16.0);
  }

  @Test
  void cancellingTheCallersJobGroupStopsTrainingAndKeepsTheCallersGroup() throws Exception {
    SparkContext sc = spark.sparkContext();
    List<Properties> jobs = new CopyOnWriteArrayList<>();
    SparkListener recorder =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart start) {
            jobs.add(start.properties());
          }
        };
    sc.addSparkListener(recorder);
    TFCluster cluster =
        SparkFeedTest.cluster(spark, dir)
            .progressInterval(Duration.ZERO)
            .run(ObservabilityTest::takeOneBatchThenHang);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<List<String>> after = new AtomicReference<>();
    CountDownLatch returned = new CountDownLatch(1);
    Thread notebook =
        new Thread(
            () -> {
              sc.setJobGroup("paragraph-1", "Notebook paragraph 1", false);
              try {
                cluster.train(regressionRows(400_000, 4), 1);
              } catch (Throwable t) {
                thrown.set(t);
              } finally {
                after.set(
                    List.of(
                        String.valueOf(sc.getLocalProperty("spark.jobGroup.id")),
                        String.valueOf(sc.getLocalProperty("spark.job.description")),
                        String.valueOf(sc.getLocalProperty("spark.job.interruptOnCancel")),
                        sc.getJobTags().toString()));
                returned.countDown();
              }
            },
            "notebook-paragraph");
    try {
      notebook.start();
      awaitFile(dir.resolve("started-0"));
      awaitFile(dir.resolve("started-1"));
      long cancelled = System.nanoTime();
      sc.cancelJobGroup("paragraph-1");
      assertThat(returned.await(60, TimeUnit.SECONDS)).as("train() returned").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - cancelled))
          .isLessThan(Duration.ofSeconds(30));
    } finally {
      cluster.close();
      notebook.join(30_000);
      sc.removeSparkListener(recorder);
    }
    assertThat(thrown.get())
        .isInstanceOf(TFClusterException.class)
        .hasMessageContaining("Cannot train: its Spark job was cancelled")
        .hasMessageContaining("has been stopped");
    // The caller's group and description are as they were; SparkTF's tag is gone.
    assertThat(after.get())
        .containsExactly("paragraph-1", "Notebook paragraph 1", "false", "Set()");
    // The feeding job ran in the caller's group, described and tagged by SparkTF.
    Optional<Properties> feed =
        jobs.stream()
            .filter(p -> String.valueOf(p.getProperty("spark.job.description")).contains("train"))
            .findFirst();
    assertThat(feed).isPresent();
    assertThat(feed.get().getProperty("spark.jobGroup.id")).isEqualTo("paragraph-1");
    assertThat(feed.get().getProperty("spark.job.description"))
        .isEqualTo("SparkTF train, epoch 1/1, cluster " + cluster.id());
    assertThat(feed.get().getProperty("spark.job.tags"))
        .contains("sparktf-" + cluster.id() + "-feed");
    // The node job is SparkTF's own, outside the caller's group.
    assertThat(jobs)
        .anySatisfy(
            p ->
                assertThat(p.getProperty("spark.job.description"))
                    .isEqualTo("SparkTF TensorFlow nodes, cluster " + cluster.id()));
  }

  /** A worker that takes one batch, says so, and then takes no more. */
  static void takeOneBatchThenHang(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    FeedBatch batch = ctx.dataFeed().nextBatch(10);
    LinearRegressionNode.write(ctx, "started-" + ctx.taskIndex(), batch.rows() + " rows");
    new CountDownLatch(1).await(5, TimeUnit.MINUTES);
  }

  private static boolean ssAvailable() {
    try {
      Process ss = new ProcessBuilder("ss", "-V").redirectErrorStream(true).start();
      return ss.waitFor(10, TimeUnit.SECONDS) && ss.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void awaitFile(Path file) {
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (!Files.exists(file)) {
      assertThat(System.nanoTime()).as("%s appears within 90 s", file).isLessThan(deadline);
      LockSupport.parkNanos(50_000_000L);
    }
  }

  /**
   * The latest value CsvSink wrote for the plugin's gauge {@code name}, waiting up to 30 s for
   * {@code expected} (any value when -1).
   */
  private static double awaitMetric(String name, double expected) throws IOException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    double value = Double.NaN;
    while (System.nanoTime() < deadline) {
      Optional<Path> file;
      try (Stream<Path> files = Files.list(metricsDir)) {
        file =
            files
                .filter(f -> f.getFileName().toString().endsWith(PLUGIN_SOURCE + name + ".csv"))
                .findFirst();
      }
      if (file.isPresent()) {
        List<String> lines = Files.readAllLines(file.get());
        String lastLine = lines.get(lines.size() - 1);
        if (lines.size() > 1) {
          value = Double.parseDouble(lastLine.substring(lastLine.indexOf(',') + 1));
          if (expected == -1 || value == expected) {
            return value;
          }
        }
      }
      LockSupport.parkNanos(200_000_000L);
    }
    return value;
  }
}
