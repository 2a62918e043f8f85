package org.sparktf.examples.imagenet;

import java.time.Duration;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.InputMode;
import org.sparktf.core.TFCluster;
import org.sparktf.examples.reporting.TrainingPlots;

/**
 * Distributed, synchronous training of Inception v3 on ImageNet TFRecords, the workload of the
 * reference architecture's ImageNet section: one parameter server and the other executors as
 * workers, each reading its share of {@code <data_dir>/train-*} itself (InputMode.TENSORFLOW).
 *
 * <pre>
 * ImageNetTraining --data_dir hdfs:///user/me/imagenet-data --train_dir hdfs:///user/me/imagenet_train
 *     [--max_steps 100000] [--batch_size 32] [--num_executors 3] [--num_ps 1] [--image_size 299]
 *     [--num_classes 1001] [--width_multiplier 1.0] [--aux_head true] [--learning_rate 0.045]
 *     [--checkpoint_steps 1000] [--summary_steps 100] [--node_memory 4g]
 * </pre>
 *
 * Run {@link ImageNetEval} beside it for Precision@1 and Recall@5 on the validation files.
 */
public final class ImageNetTraining {
  static final Set<String> FLAGS =
      Set.of(
          "data_dir",
          "train_dir",
          "max_steps",
          "batch_size",
          "num_executors",
          "num_ps",
          "image_size",
          "num_classes",
          "width_multiplier",
          "aux_head",
          "batch_norm_decay",
          "learning_rate",
          "checkpoint_steps",
          "summary_steps",
          "node_memory",
          "seed");

  private ImageNetTraining() {}

  public static void main(String[] args) {
    Flags flags = new Flags(args, FLAGS);
    SparkSession spark =
        SparkSession.builder().appName("SparkTF ImageNet Inception v3 training").getOrCreate();
    try {
      train(spark, flags);
    } finally {
      spark.stop();
    }
  }

  /** Trains until the model directory's global step reaches --max_steps. */
  static void train(SparkSession spark, Flags flags) {
    String trainDir = flags.required("train_dir");
    int executors =
        flags.integer(
            "num_executors", spark.sparkContext().getConf().getInt("spark.executor.instances", 3));
    int numPs = flags.integer("num_ps", 1);
    InceptionV3 model =
        new InceptionV3(
            flags.integer("num_classes", 1001),
            flags.decimal("width_multiplier", 1f),
            flags.bool("aux_head", true),
            0.8f,
            flags.decimal("batch_norm_decay", 0.9997f));
    InceptionTraining.Config config =
        new InceptionTraining.Config(
            flags.required("data_dir"),
            model,
            flags.integer("image_size", 299),
            flags.integer("batch_size", 32),
            flags.integer("max_steps", 100_000),
            flags.decimal("learning_rate", 0.045f),
            flags.integer("summary_steps", 100),
            flags.integer("checkpoint_steps", 1000),
            Duration.ofMinutes(10),
            flags.integer("seed", 17));
    if (config.imageSize() < 75) {
      throw new IllegalArgumentException(
          "Invalid image size: " + config.imageSize() + "; Inception v3 needs at least 75");
    }
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(executors)
            .numPs(numPs)
            .inputMode(InputMode.TENSORFLOW)
            .modelDir(trainDir)
            .reservationTimeout(Duration.ofMinutes(10))
            .shutdownTimeout(Duration.ofDays(30))
            .nodeJavaOptions("-Xmx" + flags.string("node_memory", "4g"))
            .run(new InceptionTraining(config))) {
      cluster.shutdown();
    }
    if (config.summaryEvery() > 0) {
      String plots = new Path(trainDir, "plots").toString();
      TrainingPlots.write(
          spark.sparkContext().hadoopConfiguration(), trainDir, plots, "Inception v3 training");
      System.out.println("Charts (PNG + CSV): " + plots);
    }
  }
}
