package org.sparktf.examples.mnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.TestSpark;
import org.sparktf.examples.reporting.EventScalars;
import org.sparktf.examples.reporting.RunOutputs;

/** Runs the MNIST job through its main entry point on part of the shipped sample. */
class MnistJobTest {
  private static SparkSession spark;
  @TempDir static Path out;

  @BeforeAll
  static void runTheJob() throws Exception {
    // The job uses the active session (3 task slots: 1 PS + 2 workers) and leaves it running.
    spark = TestSpark.local("MnistJobTest", 3);
    MnistJob.main(
        new String[] {
          "--output", out.toUri().toString(),
          "--train-limit", "2000",
          "--test-limit", "500",
          "--epochs", "3"
        });
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @Test
  void everyModeWritesPredictionsWellAboveChance() {
    for (String mode : MnistOptions.MODES) {
      Dataset<Row> predictions =
          spark.read().parquet(out.resolve("predictions/" + mode).toString());
      List<Row> rows = predictions.select("label", "prediction").collectAsList();
      assertThat(rows).as(mode).hasSize(500);
      long right = rows.stream().filter(r -> r.getLong(0) == r.getLong(1)).count();
      // Chance is 10%; 2,000 images and 3 epochs reach about 85%.
      assertThat(right / 500.0).as(mode + " accuracy").isGreaterThan(0.6);
    }
  }

  @Test
  void everyModeLeavesASavedModelCheckpointsAndTensorBoardEvents() throws IOException {
    for (String mode : MnistOptions.MODES) {
      Path model = out.resolve("models/" + mode);
      assertThat(model.resolve("export/saved_model.pb")).as(mode).isRegularFile();
      assertThat(model.resolve("export/variables")).as(mode).isDirectory();
      assertThat(Checkpoints.latestStep(new Configuration(), model.toUri().toString()).isPresent())
          .as(mode)
          .isTrue();
      try (Stream<Path> files = Files.list(model)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as(mode)
            .anyMatch(name -> name.startsWith("events.out.tfevents."));
      }
    }
    assertThat(out.resolve("models/pipeline/pipeline-model/metadata")).isDirectory();
  }

  @Test
  void everyModeLeavesTheGraphForTensorBoardAndChartsOfItsCurves() throws IOException {
    Configuration conf = new Configuration();
    for (String mode : MnistOptions.MODES) {
      Path model = out.resolve("models/" + mode);
      // TFCluster's chief and TFEstimator's node both write the training graph.
      RunOutputs.assertGraphWithOps(model, "hidden_kernel", "logits_kernel", "global_step");
      EventScalars scalars = EventScalars.read(conf, model.toString());
      Path plots = model.resolve("plots");
      RunOutputs.assertSamePoints(
          RunOutputs.assertChart(plots, "loss_vs_step"), scalars.points("", "loss"));
      RunOutputs.assertSamePoints(
          RunOutputs.assertChart(plots, "loss_vs_time"), scalars.points("", "loss"));
      // The driver's test accuracy, once, at the final step, in TensorBoard's eval run.
      List<String[]> accuracy = RunOutputs.assertChart(plots, "eval_accuracy_vs_step");
      assertThat(accuracy).as(mode).hasSize(1);
      assertThat(Long.parseLong(accuracy.get(0)[1]))
          .isEqualTo(Checkpoints.latestStep(conf, model.toString()).getAsLong());
      assertThat(Double.parseDouble(accuracy.get(0)[3])).as(mode).isBetween(0.6, 1.0);
      RunOutputs.assertSamePoints(accuracy, scalars.points("eval", "accuracy"));
      if (!mode.equals("pipeline")) {
        // 60 local steps over 2 workers, a measurement per 20 steps of one worker.
        List<String[]> throughput = RunOutputs.assertChart(plots, "examples_per_sec");
        assertThat(throughput).as(mode).isNotEmpty();
        assertThat(throughput).allMatch(r -> Double.parseDouble(r[3]) > 0);
      }
    }
  }

  @Test
  void theDataSetupWritesTFRecordsAndParquetWithTheSameRows() {
    Dataset<Row> records = spark.read().format("tfrecord").load(out + "/data/train/tfrecord");
    assertThat(records.count()).isEqualTo(2000);
    assertThat(records.schema().simpleString())
        .isEqualTo("struct<image:array<float>,label:bigint>");
    Dataset<Row> parquet = spark.read().parquet(out + "/data/train/parquet");
    assertThat(parquet.except(records.select("label", "image")).count()).isZero();
    assertThat(spark.read().parquet(out + "/data/test/parquet").count()).isEqualTo(500);
    assertThat(out.resolve("data/train/tfrecord").toFile().list())
        .filteredOn(name -> name.endsWith(".tfrecord.gz"))
        .hasSize(4);
  }

  @Test
  void badOptionsAndMissingDataFailWithTheFix() {
    assertThatThrownBy(() -> MnistOptions.parse("--modes", "spark,keras"))
        .hasMessage(
            "Invalid mode: 'keras'; expected a comma-separated list of [spark, tensorflow,"
                + " pipeline]");
    assertThatThrownBy(() -> MnistOptions.parse("--num-ps", "3"))
        .hasMessageStartingWith("Invalid --num-ps: 3; it must be smaller than --cluster-size 3");
    assertThatThrownBy(() -> MnistOptions.parse("--epochs", "two"))
        .hasMessage("Invalid value for --epochs: 'two' is not a number");
    assertThatThrownBy(
            () -> MnistData.load(spark, out.resolve("nowhere").toUri().toString(), "train", 0))
        .hasMessageContaining("neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte")
        .hasMessageContaining("docs/examples/mnist.md");
    assertThatThrownBy(() -> MnistJob.main(new String[] {"--output", out.toString()}))
        .hasMessageStartingWith("Invalid --output: ")
        .hasMessageEndingWith(
            "models/spark already exists; pass a new output directory or delete the old one");
  }
}
