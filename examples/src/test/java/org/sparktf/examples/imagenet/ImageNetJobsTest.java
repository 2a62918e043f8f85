package org.sparktf.examples.imagenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
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
import org.tensorflow.proto.Event;

/**
 * The training job on a 1 PS + 2 worker cluster and the evaluation job after it, on generated
 * ImageNet-format TFRecords: a thin Inception v3 (width x0.25) at the smallest input size, a few
 * synchronous steps.
 */
class ImageNetJobsTest {
  // Every step sees a worker's whole shard (batch 12 of 12 images), so the loss falls steadily
  // instead of jumping from one 4-image batch to the next: with batch 4 and learning rate 0.1 this
  // run diverged (last-3 mean 4.70 vs first-3 mean 1.61, the same on every run on this machine).
  private static final int STEPS = 8;
  private static final int VALIDATION_IMAGES = 2 * 5;
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void startSparkAndWriteData() {
    spark = TestSpark.local("ImageNetJobsTest", 4);
    String data = dir.resolve("data").toUri().toString();
    SyntheticImageNet.write(spark, data, "train", 2, 12, 3, 1);
    SyntheticImageNet.write(spark, data, "validation", 2, 5, 3, 2);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private static String[] modelFlags() {
    return new String[] {
      "--image_size",
      "75",
      "--num_classes",
      "4",
      "--width_multiplier",
      "0.25",
      "--aux_head",
      "false"
    };
  }

  private static Flags flags(Set<String> known, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(modelFlags()));
    return new Flags(all.toArray(new String[0]), known);
  }

  @Test
  void trainingLowersTheLossAndTheEvalJobScoresEveryValidationImage() throws Exception {
    String data = dir.resolve("data").toUri().toString();
    String model = dir.resolve("model").toUri().toString();
    ImageNetTraining.train(
        spark,
        flags(
            ImageNetTraining.FLAGS,
            "--data_dir",
            data,
            "--train_dir",
            model,
            "--max_steps",
            Integer.toString(STEPS),
            "--batch_size",
            "12",
            "--num_executors",
            "3",
            "--num_ps",
            "1",
            "--learning_rate",
            "0.05",
            "--checkpoint_steps",
            "0",
            "--summary_steps",
            "1",
            // Short run: moving averages that catch up within it.
            "--batch_norm_decay",
            "0.9",
            "--node_memory",
            "512m"));

    // Both workers ran every synchronous step; the chief saved the last one.
    assertThat(
            Checkpoints.latestStep(spark.sparkContext().hadoopConfiguration(), model).getAsLong())
        .isEqualTo(STEPS);
    List<Float> losses = losses(dir.resolve("model"));
    assertThat(losses).hasSizeGreaterThanOrEqualTo(STEPS - 2);
    assertThat(mean(losses.subList(losses.size() - 3, losses.size())))
        .isLessThan(mean(losses.subList(0, 3)));

    String evalDir = dir.resolve("eval").toUri().toString();
    List<ImageNetEval.Result> results =
        ImageNetEval.run(
            spark,
            flags(
                ImageNetEval.FLAGS,
                "--data_dir",
                data,
                "--checkpoint_dir",
                model,
                "--eval_dir",
                evalDir,
                "--run_once",
                "true",
                "--batch_size",
                "3"));
    assertThat(results).hasSize(1);
    ImageNetEval.Result result = results.get(0);
    assertThat(result.step()).isEqualTo(STEPS);
    // Batches of 3 over 2 files of 5: the padded last batches count only their real images.
    assertThat(result.counts().images()).isEqualTo(VALIDATION_IMAGES);
    assertThat(result.counts().top1()).isLessThanOrEqualTo(result.counts().top5());
    assertThat(result.counts().top5()).isLessThanOrEqualTo(VALIDATION_IMAGES);
    List<String> csv =
        Files.readAllLines(dir.resolve("eval").resolve("eval.csv"), StandardCharsets.UTF_8);
    assertThat(csv)
        .containsExactly(
            "step,images,precision_at_1,recall_at_5",
            String.format(
                "%d,%d,%.6f,%.6f",
                STEPS,
                VALIDATION_IMAGES,
                result.counts().precisionAt1(),
                result.counts().recallAt5()));

    // The graph and the metrics for TensorBoard, and the charts of both jobs.
    RunOutputs.assertGraphWithOps(dir.resolve("model"), "records", "global_step");
    Path evalPlots = dir.resolve("eval").resolve("plots");
    List<String[]> p1 = RunOutputs.assertChart(evalPlots, "eval_precision_at_1_vs_step");
    assertThat(p1).hasSize(1);
    assertThat(p1.get(0)[1]).isEqualTo(Integer.toString(STEPS));
    assertThat(Double.parseDouble(p1.get(0)[3]))
        .isCloseTo(result.counts().precisionAt1(), within(1e-6));
    List<String[]> r5 = RunOutputs.assertChart(evalPlots, "eval_recall_at_5_vs_time");
    assertThat(Double.parseDouble(r5.get(0)[3]))
        .isCloseTo(result.counts().recallAt5(), within(1e-6));
    Path trainPlots = dir.resolve("model").resolve("plots");
    EventScalars scalars = EventScalars.read(new Configuration(), model);
    RunOutputs.assertSamePoints(
        RunOutputs.assertChart(trainPlots, "loss_vs_step"), scalars.points("", "loss"));
    // Each worker's 8 steps: the first starts its clock, then one measurement per step.
    List<String[]> throughput = RunOutputs.assertChart(trainPlots, "examples_per_sec");
    assertThat(throughput).filteredOn(row -> row[0].equals("worker 0 (chief)")).hasSize(STEPS - 1);
    assertThat(throughput).filteredOn(row -> row[0].equals("worker 1")).hasSize(STEPS - 1);
  }

  /** The chief's "loss" summaries, read back from the TensorBoard event file. */
  private static List<Float> losses(Path modelDir) throws Exception {
    List<Float> losses = new ArrayList<>();
    List<Row> records =
        spark
            .read()
            .format("tfrecord")
            .option("recordType", "ByteArray")
            .load(modelDir.resolve("events.out.tfevents.*").toString())
            .collectAsList();
    for (Row row : records) {
      Event event = Event.parseFrom((byte[]) row.getAs("value"));
      if (event.hasSummary()) {
        event.getSummary().getValueList().stream()
            .filter(v -> v.getTag().equals("loss"))
            .forEach(v -> losses.add(v.getSimpleValue()));
      }
    }
    return losses;
  }

  private static double mean(List<Float> values) {
    return values.stream().mapToDouble(Float::doubleValue).average().orElseThrow();
  }
}
