package org.sparktf.examples.cifar10;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.InputMode;
import org.sparktf.core.SummaryWriter;
import org.sparktf.core.TFCluster;
import org.sparktf.examples.reporting.TrainingPlots;
import org.sparktf.ml.TFModel;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** The driver side of the CIFAR-10 workload: train, evaluate, batch inference, conversion. */
final class Cifar10Jobs {
  private static final int EVAL_BATCH = 500;

  private Cifar10Jobs() {}

  /** What a training run did, and where its SavedModel is (null when not exported). */
  record Training(long globalStep, long images, double seconds, String exportDir) {
    double imagesPerSecond() {
      return images / seconds;
    }
  }

  /** Precision @ 1 of a checkpoint over a test set. */
  record Evaluation(long checkpointStep, long images, long correct) {
    double precision() {
      return (double) correct / images;
    }
  }

  /** Throughput and accuracy of a batch-inference run. */
  record Inference(long images, long correct, double seconds) {
    double imagesPerSecond() {
      return images / seconds;
    }

    double accuracy() {
      return (double) correct / images;
    }
  }

  /**
   * Trains on the training batches of {@code dataDir} on a TensorFlow cluster of {@code workers}
   * workers and {@code ps} parameter servers, feeding the records from Spark for {@code epochs}
   * epochs (or until {@code settings.steps}).
   */
  static Training train(
      SparkSession spark,
      String dataDir,
      String modelDir,
      int workers,
      int ps,
      int epochs,
      Cifar10Trainer.Settings settings) {
    if (workers < 1 || ps < 0 || (workers > 1 && ps == 0)) {
      throw new IllegalArgumentException(
          "Invalid cluster: "
              + workers
              + " worker(s) and "
              + ps
              + " parameter server(s); use at least one worker, and --ps 1 or more with several"
              + " workers, which share the variables through the parameter servers");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Dataset<Row> train = Cifar10Binary.read(spark, Cifar10Binary.trainFiles(conf, dataDir));
    long before = Checkpoints.latestStep(conf, modelDir).orElse(0);
    long start = System.nanoTime();
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(workers + ps)
            .numPs(ps)
            .inputMode(InputMode.SPARK)
            .modelDir(modelDir)
            .run(new Cifar10Trainer(settings))) {
      cluster.train(train, epochs);
      cluster.shutdown();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long step =
        Checkpoints.latestStep(conf, modelDir)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Cannot report training: no checkpoint in "
                            + modelDir
                            + " after training; did any worker get a full batch?"));
    return new Training(
        step,
        (step - before) * towersPerWorker(spark, settings) * settings.batchSize,
        seconds,
        settings.exportDir == null ? null : Cifar10Trainer.exportPath(settings.exportDir, step));
  }

  /**
   * The towers each worker trains with: the configured count, or else one per GPU of its task
   * (SparkTF shows a node exactly the GPUs Spark gave its task), or one on the CPU.
   */
  static int towersPerWorker(SparkSession spark, Cifar10Trainer.Settings settings) {
    if (settings.towers > 0) {
      return settings.towers;
    }
    double gpus = Double.parseDouble(spark.conf().get("spark.task.resource.gpu.amount", "0"));
    return Math.max(1, (int) gpus);
  }

  /**
   * Precision @ 1 over {@code test_batch.bin} of {@code dataDir} with the latest checkpoint in
   * {@code modelDir}, computed on the driver like TensorFlow's cifar10_eval, which also records it
   * for TensorBoard as "precision_at_1" in {@code <modelDir>/eval}.
   */
  static Evaluation evaluate(SparkSession spark, String dataDir, String modelDir) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (Checkpoints.latestStep(conf, modelDir).isEmpty()) {
      throw noCheckpoint(modelDir);
    }
    Dataset<Row> test = Cifar10Binary.read(spark, List.of(Cifar10Binary.testFile(conf, dataDir)));
    java.nio.file.Path local = createTempDir();
    try (Graph graph = new Graph()) {
      ServingGraph serving = new ServingGraph(Ops.create(graph));
      try (Session session = new Session(graph)) {
        OptionalLong step = Checkpoints.restoreLatest(session, conf, modelDir, local);
        if (step.isEmpty()) {
          throw noCheckpoint(modelDir);
        }
        long images = 0;
        long correct = 0;
        List<byte[]> records = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Iterator<Row> rows = test.toLocalIterator();
        while (rows.hasNext() || !records.isEmpty()) {
          if (rows.hasNext() && records.size() < EVAL_BATCH) {
            Row row = rows.next();
            labels.add(row.getInt(0));
            records.add((byte[]) row.get(1));
            continue;
          }
          try (TString batch =
                  TString.tensorOfBytes(NdArrays.vectorOfObjects(records.toArray(new byte[0][])));
              TInt64 predicted =
                  (TInt64)
                      session
                          .runner()
                          .feed(serving.input(), batch)
                          .fetch(serving.classes())
                          .run()
                          .get(0)) {
            for (int i = 0; i < labels.size(); i++) {
              if (predicted.getLong(i) == labels.get(i)) {
                correct++;
              }
            }
          }
          images += records.size();
          records.clear();
          labels.clear();
        }
        Evaluation evaluation = new Evaluation(step.getAsLong(), images, correct);
        try (SummaryWriter eval =
            SummaryWriter.open(conf, new Path(modelDir, TrainingPlots.EVAL_RUN).toString())) {
          eval.scalar("precision_at_1", evaluation.checkpointStep(), evaluation.precision());
        }
        return evaluation;
      }
    } finally {
      deleteTree(local);
    }
  }

  /**
   * Draws the training loss, the evaluations' precision @ 1 and each worker's images/s from the
   * event files of {@code modelDir} into {@code <modelDir>/plots}; returns that directory.
   */
  static String plot(SparkSession spark, String modelDir) {
    String plots = new Path(modelDir, "plots").toString();
    TrainingPlots.write(spark.sparkContext().hadoopConfiguration(), modelDir, plots, "CIFAR-10");
    return plots;
  }

  /**
   * Scores {@code test_batch.bin} of {@code dataDir} with a {@link TFModel} over the exported
   * SavedModel and measures images per second. The records are spread over the application's cores,
   * cached and counted first, so the time is the scoring's, not the file reading's.
   */
  static Inference infer(SparkSession spark, String dataDir, String exportDir, int batchSize) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    // One 30 MB file is one partition: spread it over every core of the application.
    Dataset<Row> test =
        Cifar10Binary.read(spark, List.of(Cifar10Binary.testFile(conf, dataDir)))
            .repartition(spark.sparkContext().defaultParallelism())
            .cache();
    try {
      test.count();
      TFModel model =
          new TFModel()
              .setExportDir(exportDir)
              .setInputMapping(Map.of("image", ServingGraph.INPUT))
              .setOutputMapping(Map.of(ServingGraph.CLASS, "prediction"))
              .setBatchSize(batchSize);
      long start = System.nanoTime();
      Row totals =
          model
              .transform(test)
              .agg(
                  count(lit(1)), sum(when(col("prediction").equalTo(col("label")), 1).otherwise(0)))
              .first();
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Inference(totals.getLong(0), totals.getLong(1), seconds);
    } finally {
      test.unpersist();
    }
  }

  /**
   * Writes the training and test batches as TFRecord {@code tf.train.Example}s (int64 {@code
   * label}, bytes {@code image}) under {@code output}/train and {@code output}/test.
   */
  static void toTFRecord(SparkSession spark, String dataDir, String output) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Cifar10Binary.read(spark, Cifar10Binary.trainFiles(conf, dataDir))
        .write()
        .format("tfrecord")
        .mode(SaveMode.Overwrite)
        .save(output + "/train");
    Cifar10Binary.read(spark, List.of(Cifar10Binary.testFile(conf, dataDir)))
        .write()
        .format("tfrecord")
        .mode(SaveMode.Overwrite)
        .save(output + "/test");
  }

  private static IllegalArgumentException noCheckpoint(String modelDir) {
    return new IllegalArgumentException(
        "Cannot evaluate: no checkpoint in "
            + new Path(modelDir, "checkpoints")
            + "; train into that model directory first");
  }

  private static java.nio.file.Path createTempDir() {
    try {
      return Files.createTempDirectory("sparktf-cifar10-eval-");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create a temporary directory for the checkpoint: " + e.getMessage(), e);
    }
  }

  private static void deleteTree(java.nio.file.Path dir) {
    try (var paths = Files.walk(dir)) {
      for (java.nio.file.Path p :
          (Iterable<java.nio.file.Path>)
              paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
