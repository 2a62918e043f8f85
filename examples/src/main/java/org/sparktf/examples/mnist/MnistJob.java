package org.sparktf.examples.mnist;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.InputMode;
import org.sparktf.core.SummaryWriter;
import org.sparktf.core.TFCluster;
import org.sparktf.examples.reporting.TrainingPlots;
import org.sparktf.ml.TFEstimator;
import org.sparktf.ml.TFModel;

/**
 * The MNIST job, end to end: data setup (IDX files to TFRecords and Parquet), distributed training
 * of {@link MnistModel} on a TensorFlow cluster of Spark executors (1 parameter server + 2 workers
 * by default) in each input mode, batch inference with the exported SavedModel, and accuracy.
 *
 * <ul>
 *   <li><b>spark</b>: {@code TFCluster} in InputMode.SPARK; Spark feeds the Parquet rows to the
 *       workers.
 *   <li><b>tensorflow</b>: {@code TFCluster} in InputMode.TENSORFLOW; the workers read the
 *       TFRecords themselves.
 *   <li><b>pipeline</b>: a Spark ML {@code Pipeline} with a {@code TFEstimator}; the fitted {@code
 *       PipelineModel} (holding a {@code TFModel}) is saved, loaded back and applied.
 * </ul>
 *
 * <p>With no arguments it runs every mode on the shipped sample of real MNIST digits on Spark
 * {@code local[N]}, N = max(3, cores): each TensorFlow node takes a task slot. Under {@code
 * spark-submit} the master comes from the submit command. See {@link MnistOptions#USAGE} for the
 * options and docs/examples/mnist.md for full MNIST, Fashion-MNIST and YARN.
 */
public final class MnistJob {
  private final SparkSession spark;
  private final MnistOptions options;
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private final Map<String, Double> accuracies = new LinkedHashMap<>();

  private MnistJob(SparkSession spark, MnistOptions options) {
    this.spark = spark;
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    MnistOptions options = MnistOptions.parse(args);
    boolean ownSession = !SparkSession.getActiveSession().isDefined();
    SparkSession.Builder builder = SparkSession.builder().appName("SparkTF MNIST");
    if (ownSession && System.getProperty("spark.master") == null) {
      int slots = Math.max(options.clusterSize, Runtime.getRuntime().availableProcessors());
      builder.master("local[" + slots + "]").config("spark.ui.enabled", "false");
    }
    SparkSession spark = builder.getOrCreate();
    try {
      if (options.output == null) {
        if (!spark.sparkContext().isLocal()) {
          throw new IllegalArgumentException(
              "Invalid --output: not set; on a cluster pass a directory every node can reach,"
                  + " such as hdfs:///user/me/mnist");
        }
        options.output = Files.createTempDirectory("sparktf-mnist-").toUri().toString();
      }
      new MnistJob(spark, options).run();
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  private void run() throws Exception {
    String out = options.output.replaceAll("/+$", "");
    String data = out + "/data";
    refuseExistingModels(out);
    long[] counts =
        time(
            "data setup (IDX to TFRecord + Parquet)",
            () ->
                MnistData.setup(
                    spark,
                    options.data,
                    data,
                    options.partitions,
                    new int[] {options.trainLimit, options.testLimit}));
    Dataset<Row> train = spark.read().parquet(data + "/train/parquet");
    Dataset<Row> test = spark.read().parquet(data + "/test/parquet");
    for (String mode : options.modes) {
      String modelDir = out + "/models/" + mode;
      String exportDir = modelDir + "/export";
      String predictions = out + "/predictions/" + mode;
      if (mode.equals("pipeline")) {
        String saved = modelDir + "/pipeline-model";
        time("train " + mode, () -> fitPipeline(train, modelDir, exportDir, saved));
        PipelineModel loaded = PipelineModel.load(saved);
        time("inference " + mode, () -> predict(loaded.transform(test), mode, predictions));
        plot(mode, modelDir);
      } else {
        InputMode inputMode = mode.equals("spark") ? InputMode.SPARK : InputMode.TENSORFLOW;
        String records = data + "/train/tfrecord";
        time("train " + mode, () -> trainOnCluster(inputMode, train, records, modelDir, exportDir));
        TFModel model =
            new TFModel()
                .setExportDir(exportDir)
                .setInputMapping(Map.of("image", "image"))
                .setOutputMapping(Map.of("prediction", "prediction"))
                .setBatchSize(1000);
        time("inference " + mode, () -> predict(model.transform(test), mode, predictions));
        plot(mode, modelDir);
      }
    }
    report(counts, out);
  }

  /** A second run into the same directory would resume old checkpoints and clash on exports. */
  private void refuseExistingModels(String out) throws IOException {
    for (String mode : options.modes) {
      Path models = new Path(out + "/models/" + mode);
      if (models.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(models)) {
        throw new IllegalArgumentException(
            "Invalid --output: "
                + models
                + " already exists; pass a new output directory or delete the old one");
      }
    }
  }

  private Void trainOnCluster(
      InputMode inputMode, Dataset<Row> train, String records, String modelDir, String exportDir) {
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(options.clusterSize)
            .numPs(options.numPs)
            .inputMode(inputMode)
            .modelDir(modelDir)
            .reservationTimeout(Duration.ofMinutes(5))
            .run(new MnistTraining(options, records, exportDir))) {
      if (inputMode == InputMode.SPARK) {
        cluster.train(train, options.epochs);
      }
      cluster.shutdown();
    }
    return null;
  }

  private Void fitPipeline(Dataset<Row> train, String modelDir, String exportDir, String saved)
      throws Exception {
    TFEstimator estimator =
        new TFEstimator(new MnistModel(options.hiddenUnits))
            .setInputMapping(Map.of("image", "image"))
            .setLabelCol("label")
            .setOutputMapping(Map.of("prediction", "prediction"))
            .setClusterSize(options.clusterSize)
            .setNumPs(options.numPs)
            .setEpochs(options.epochs)
            .setBatchSize(options.batchSize)
            .setLearningRate(options.learningRate)
            .setSeed(options.seed)
            .setModelDir(modelDir)
            .setExportDir(exportDir);
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {estimator}).fit(train);
    fitted.write().overwrite().save(saved);
    return null;
  }

  /** Writes (label, prediction) as Parquet, then reads them back to compute the accuracy. */
  private Void predict(Dataset<Row> scored, String mode, String path) {
    scored.select("label", "prediction").write().mode(SaveMode.Overwrite).parquet(path);
    Dataset<Row> written = spark.read().parquet(path);
    long total = written.count();
    long right = written.where("label = prediction").count();
    accuracies.put(mode, total == 0 ? 0 : (double) right / total);
    return null;
  }

  /**
   * Records the mode's test accuracy at its final step for TensorBoard ({@code <modelDir>/eval})
   * and draws the run's curves into {@code <modelDir>/plots}.
   */
  private void plot(String mode, String modelDir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    long step =
        Checkpoints.latestStep(conf, modelDir)
            .orElseThrow(
                () -> new IllegalStateException("Cannot plot: no checkpoint in " + modelDir));
    try (SummaryWriter eval = SummaryWriter.open(conf, modelDir + "/" + TrainingPlots.EVAL_RUN)) {
      eval.scalar("accuracy", step, accuracies.get(mode));
    }
    TrainingPlots.write(conf, modelDir, modelDir + "/plots", "MNIST, " + mode + " mode");
  }

  private <T> T time(String stage, Callable<T> work) throws Exception {
    long start = System.nanoTime();
    T result = work.call();
    seconds.put(stage, (System.nanoTime() - start) / 1e9);
    return result;
  }

  private void report(long[] counts, String out) {
    System.out.printf(
        Locale.ROOT,
        "%nMNIST, fully connected (%d hidden units), %d TensorFlow nodes (%d PS), %d epochs,"
            + " on %d training and %d test images from %s%n%n",
        options.hiddenUnits,
        options.clusterSize,
        options.numPs,
        options.epochs,
        counts[0],
        counts[1],
        options.data);
    System.out.printf(Locale.ROOT, "%-42s %9s%n", "stage", "seconds");
    seconds.forEach((stage, s) -> System.out.printf(Locale.ROOT, "%-42s %9.1f%n", stage, s));
    System.out.printf(Locale.ROOT, "%n%-42s %9s%n", "mode", "accuracy");
    accuracies.forEach((mode, a) -> System.out.printf(Locale.ROOT, "%-42s %9.4f%n", mode, a));
    List<String> lines = new ArrayList<>();
    lines.add("data (TFRecord, Parquet):  " + out + "/data/{train,test}/{tfrecord,parquet}");
    lines.add("models (checkpoints):      " + out + "/models/<mode>");
    lines.add("SavedModels:               " + out + "/models/<mode>/export");
    lines.add("predictions (Parquet):     " + out + "/predictions/<mode>");
    lines.add("TensorBoard logs:          tensorboard --logdir " + out + "/models");
    lines.add("plots (PNG + CSV):         " + out + "/models/<mode>/plots");
    System.out.printf("%nOutputs%n  %s%n", String.join("\n  ", lines));
  }
}
