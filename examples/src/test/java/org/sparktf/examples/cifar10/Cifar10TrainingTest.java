package org.sparktf.examples.cifar10;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.TestSpark;
import org.sparktf.examples.reporting.EventScalars;
import org.sparktf.examples.reporting.RunOutputs;

/**
 * The whole workload on generated data in the real binary format: train on a SparkTF cluster with
 * two towers on the CPU, evaluate the latest checkpoint, score the export with TFModel.
 */
class Cifar10TrainingTest {
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("Cifar10TrainingTest", 2);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @Test
  void twoCpuTowersLearnTheGeneratedClassesAndTheExportServesThem() throws Exception {
    String data = dir.resolve("data").toUri().toString();
    String model = dir.resolve("model").toUri().toString();
    SyntheticCifar10.generate(spark.sparkContext().hadoopConfiguration(), data, 1000, 300, 7);

    Cifar10Trainer.Settings settings = new Cifar10Trainer.Settings();
    settings.towers = 2;
    settings.batchSize = 16;
    settings.steps = 100;
    settings.learningRate = 0.1f;
    settings.exportDir = model + "/export";
    Cifar10Jobs.Training training = Cifar10Jobs.train(spark, data, model, 1, 0, 10, settings);
    assertThat(training.globalStep()).isEqualTo(100);
    assertThat(training.images()).isEqualTo(100 * 2 * 16);
    assertThat(training.exportDir()).isEqualTo(model + "/export/100");

    Cifar10Jobs.Evaluation evaluation = Cifar10Jobs.evaluate(spark, data, model);
    assertThat(evaluation.checkpointStep()).isEqualTo(100);
    assertThat(evaluation.images()).isEqualTo(300);
    assertThat(evaluation.precision()).as("precision @ 1; chance is 0.1").isGreaterThan(0.6);

    Cifar10Jobs.Inference inference = Cifar10Jobs.infer(spark, data, training.exportDir(), 128);
    assertThat(inference.images()).isEqualTo(300);
    // The export is the checkpoint's serving graph: same predictions, same accuracy.
    assertThat(inference.correct()).isEqualTo(evaluation.correct());
    assertThat(inference.imagesPerSecond()).isPositive();

    // The graph for TensorBoard; the precision in its eval run; the charts of the run.
    RunOutputs.assertGraphWithOps(dir.resolve("model"), "global_step");
    Path plots = Path.of(java.net.URI.create(Cifar10Jobs.plot(spark, model)));
    List<String[]> precision = RunOutputs.assertChart(plots, "eval_precision_at_1_vs_step");
    assertThat(precision).hasSize(1);
    assertThat(precision.get(0)[1]).isEqualTo("100");
    assertThat(Double.parseDouble(precision.get(0)[3]))
        .isCloseTo(evaluation.precision(), within(1e-6));
    EventScalars scalars = EventScalars.read(new Configuration(), model);
    RunOutputs.assertSamePoints(
        RunOutputs.assertChart(plots, "loss_vs_step"), scalars.points("", "loss"));
    // 100 steps: the first starts the clock, then one measurement per 20 steps.
    assertThat(RunOutputs.assertChart(plots, "examples_per_sec"))
        .extracting(row -> row[0] + "@" + row[1])
        .containsExactly(
            "worker 0 (chief)@21",
            "worker 0 (chief)@41",
            "worker 0 (chief)@61",
            "worker 0 (chief)@81");
  }

  @Test
  void severalWorkersNeedAParameterServer() {
    assertThatThrownBy(
            () ->
                Cifar10Jobs.train(
                    spark, "unused", "unused", 2, 0, 1, new Cifar10Trainer.Settings()))
        .hasMessage(
            "Invalid cluster: 2 worker(s) and 0 parameter server(s); use at least one worker, and"
                + " --ps 1 or more with several workers, which share the variables through the"
                + " parameter servers");
  }

  @Test
  void evaluationWithoutACheckpointSaysToTrainFirst() {
    String data = dir.resolve("data-eval").toUri().toString();
    SyntheticCifar10.generate(spark.sparkContext().hadoopConfiguration(), data, 5, 2, 1);
    String empty = dir.resolve("no-model").toUri().toString();
    assertThatThrownBy(() -> Cifar10Jobs.evaluate(spark, data, empty))
        .hasMessageStartingWith("Cannot evaluate: no checkpoint in ")
        .hasMessageEndingWith("; train into that model directory first");
  }
}
