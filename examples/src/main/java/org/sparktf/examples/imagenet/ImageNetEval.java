package org.sparktf.examples.imagenet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.SummaryWriter;
import org.sparktf.examples.reporting.TrainingPlots;
import org.sparktf.ml.model.ModelBuilder;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The evaluation job that runs beside {@link ImageNetTraining}, as in the reference architecture:
 * whenever the training job's model directory has a new checkpoint, it computes Precision@1 and
 * Recall@5 over every image of the {@code validation-*} TFRecord files (central crop, moving
 * batch-norm averages), in parallel on the Spark executors, prints them, appends them to {@code
 * <eval_dir>/eval.csv} and writes them for TensorBoard to {@code <checkpoint_dir>/eval}; when it
 * stops it draws the run's charts into {@code <eval_dir>/plots}.
 *
 * <pre>
 * ImageNetEval --data_dir hdfs:///user/me/imagenet-data --checkpoint_dir hdfs:///user/me/imagenet_train
 *     --eval_dir hdfs:///user/me/imagenet_eval [--eval_interval_secs 300] [--run_once false]
 *     [--max_steps 100000] [--batch_size 50] [--image_size 299] [--num_classes 1001]
 *     [--width_multiplier 1.0] [--aux_head true]
 * </pre>
 *
 * The model flags must match the training job's. Without --run_once it stops after evaluating a
 * checkpoint at or beyond --max_steps.
 */
public final class ImageNetEval {
  static final Set<String> FLAGS =
      Set.of(
          "data_dir",
          "checkpoint_dir",
          "eval_dir",
          "eval_interval_secs",
          "run_once",
          "max_steps",
          "batch_size",
          "image_size",
          "num_classes",
          "width_multiplier",
          "aux_head");

  private ImageNetEval() {}

  /** The metrics of one checkpoint. */
  record Result(long step, TopKCounts counts) {
    @Override
    public String toString() {
      return String.format(
          "step %d: precision@1 = %.4f, recall@5 = %.4f over %d validation images",
          step, counts.precisionAt1(), counts.recallAt5(), counts.images());
    }
  }

  public static void main(String[] args) throws InterruptedException {
    Flags flags = new Flags(args, FLAGS);
    SparkSession spark =
        SparkSession.builder().appName("SparkTF ImageNet Inception v3 evaluation").getOrCreate();
    try {
      run(spark, flags);
    } finally {
      spark.stop();
    }
  }

  /**
   * Evaluates each new checkpoint, every --eval_interval_secs, until one reaches --max_steps (or
   * once with --run_once true); returns the results in order.
   */
  static List<Result> run(SparkSession spark, Flags flags) throws InterruptedException {
    String checkpointDir = flags.required("checkpoint_dir");
    String evalDir = flags.required("eval_dir");
    long maxSteps = flags.integer("max_steps", 100_000);
    long intervalMillis = flags.integer("eval_interval_secs", 300) * 1000L;
    boolean once = flags.bool("run_once", false);
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<Result> results = new ArrayList<>();
    long last = -1;
    // TensorBoard shows the metrics beside the training run: <checkpoint_dir>/eval.
    try (SummaryWriter summaries =
        SummaryWriter.open(conf, new Path(checkpointDir, TrainingPlots.EVAL_RUN).toString())) {
      while (true) {
        OptionalLong step = Checkpoints.latestStep(conf, checkpointDir);
        if (step.isPresent() && step.getAsLong() != last) {
          Result result = evaluate(spark, flags, step.getAsLong());
          System.out.println(result);
          append(conf, evalDir, result);
          summaries.scalar("precision_at_1", result.step(), result.counts().precisionAt1());
          summaries.scalar("recall_at_5", result.step(), result.counts().recallAt5());
          summaries.flush();
          results.add(result);
          last = step.getAsLong();
        }
        if (once || last >= maxSteps) {
          break;
        }
        Thread.sleep(intervalMillis);
      }
    }
    if (!results.isEmpty()) {
      String plots = new Path(evalDir, "plots").toString();
      TrainingPlots.write(conf, checkpointDir, plots, "Inception v3");
      System.out.println("Charts (PNG + CSV): " + plots);
    }
    return results;
  }

  /** Evaluates checkpoint {@code step} of --checkpoint_dir on the validation files. */
  static Result evaluate(SparkSession spark, Flags flags, long step) {
    Partition partition =
        new Partition(
            flags.required("checkpoint_dir"),
            step,
            new InceptionV3(
                flags.integer("num_classes", 1001),
                flags.decimal("width_multiplier", 1f),
                flags.bool("aux_head", true),
                1f,
                // Serving reads the moving averages; the decay only matters when training.
                0.9997f),
            flags.integer("image_size", 299),
            flags.integer("batch_size", 50));
    List<String> files =
        ImageNetFiles.list(
            spark.sparkContext().hadoopConfiguration(), flags.required("data_dir"), "validation");
    TopKCounts counts =
        spark
            .read()
            .format("tfrecord")
            .option("recordType", "ByteArray")
            .load(files.toArray(new String[0]))
            .javaRDD()
            .mapPartitions(partition)
            .fold(TopKCounts.NONE, TopKCounts::plus);
    return new Result(step, counts);
  }

  private static void append(Configuration conf, String evalDir, Result result) {
    Path file = new Path(evalDir, "eval.csv");
    try {
      FileSystem fs = file.getFileSystem(conf);
      StringBuilder text = new StringBuilder();
      if (fs.exists(file)) {
        try (var in = fs.open(file)) {
          text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      } else {
        text.append("step,images,precision_at_1,recall_at_5\n");
      }
      text.append(
          String.format(
              "%d,%d,%.6f,%.6f%n",
              result.step(),
              result.counts().images(),
              result.counts().precisionAt1(),
              result.counts().recallAt5()));
      try (FSDataOutputStream out = fs.create(file, true)) {
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Scores one partition of validation records with the checkpoint: the eval graph has a fixed
   * batch size, so the last batch is padded with copies of its first record, not counted.
   */
  static final class Partition implements FlatMapFunction<Iterator<Row>, TopKCounts> {
    private static final long serialVersionUID = 1L;
    private final String checkpointDir;
    private final long step;
    private final InceptionV3 model;
    private final int imageSize;
    private final int batchSize;

    Partition(String checkpointDir, long step, InceptionV3 model, int imageSize, int batchSize) {
      this.checkpointDir = checkpointDir;
      this.step = step;
      this.model = model;
      this.imageSize = imageSize;
      this.batchSize = batchSize;
    }

    @Override
    public Iterator<TopKCounts> call(Iterator<Row> rows) throws IOException {
      if (!rows.hasNext()) {
        return List.<TopKCounts>of().iterator();
      }
      TopKCounts counts = TopKCounts.NONE;
      try (Graph graph = new Graph()) {
        Ops tf = Ops.create(graph);
        Placeholder<TString> records =
            tf.withName("records")
                .placeholder(TString.class, Placeholder.shape(Shape.of(batchSize)));
        ImageNetRecords.Batch batch =
            ImageNetRecords.parse(tf, records, batchSize, imageSize, false, 0);
        ModelBuilder builder =
            new ModelBuilder(tf, tf, Map.of("images", batch.images()), null, i -> null, false, 0);
        Operand<TFloat32> logits = model.build(builder, batch.images()).main();
        var top =
            tf.nn
                .topK(logits, tf.constant(Math.min(5, model.numClasses())), TInt32.class)
                .indices();
        try (Session session = new Session(graph)) {
          // The executor's own Hadoop configuration: on YARN its class path holds the cluster's.
          restore(session, new Configuration(), checkpointDir, step);
          List<byte[]> pending = new ArrayList<>(batchSize);
          while (rows.hasNext()) {
            pending.add(rows.next().getAs("value"));
            if (pending.size() == batchSize || !rows.hasNext()) {
              counts = counts.plus(score(session, records, top, batch.labels(), pending));
              pending.clear();
            }
          }
        }
      }
      return List.of(counts).iterator();
    }

    private TopKCounts score(
        Session session,
        Placeholder<TString> records,
        Operand<TInt32> top,
        Operand<TInt64> labels,
        List<byte[]> pending) {
      int rows = pending.size();
      byte[][] padded = new byte[batchSize][];
      for (int i = 0; i < batchSize; i++) {
        padded[i] = pending.get(i < rows ? i : 0);
      }
      try (TString input = TString.tensorOfBytes(NdArrays.vectorOfObjects(padded));
          org.tensorflow.Result result =
              session.runner().feed(records, input).fetch(top).fetch(labels).run()) {
        TInt32 indices = (TInt32) result.get(0);
        TInt64 classes = (TInt64) result.get(1);
        int k = (int) indices.shape().get(1);
        int[][] predictions = new int[rows][k];
        long[] truth = new long[rows];
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < k; j++) {
            predictions[i][j] = indices.getInt(i, j);
          }
          truth[i] = classes.getLong(i);
        }
        return TopKCounts.of(predictions, truth, rows);
      }
    }
  }

  /** Restores checkpoint {@code step} (not merely the latest: every partition sees the same). */
  static void restore(Session session, Configuration conf, String checkpointDir, long step) {
    Checkpoints.restore(
        session,
        conf,
        checkpointDir,
        java.nio.file.Path.of(System.getProperty("java.io.tmpdir")),
        step);
  }
}
