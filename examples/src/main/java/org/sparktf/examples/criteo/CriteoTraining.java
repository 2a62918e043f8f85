package org.sparktf.examples.criteo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.InputMode;
import org.sparktf.core.TFCluster;
import org.sparktf.examples.reporting.TrainingPlots;

/**
 * Trains a click model (logistic regression, or a factorization machine, on bucketized integer
 * features, hashed categorical features and hashed crosses; see {@link ClickModel}) on the ETL's
 * TFRecords with P parameter servers and N workers, and prints the validation log loss the chief
 * measured every {@code --eval-every} global steps. The optimizer is AdaGrad, whose per-weight step
 * sizes suit features of very different frequencies.
 *
 * <p>Usage: {@code CriteoTraining --data DIR --model DIR [--workers 2] [--ps 1] [--table-shards P]
 * [--epochs 2] [--batch-size 512] [--learning-rate 0.1] [--initial-accumulator 0.001]
 * [--hash-buckets 1048576] [--eval-every 200] [--eval-records 100000] [--checkpoint-every 1000]
 * [--updates sparse|dense] [--model-type linear|fm] [--factors 8]}, where DIR holds the ETL's
 * {@code training} and {@code validation}. {@code --model-type fm} trains a factorization machine
 * instead of the logistic regression (see {@link ClickModel}), with embeddings of {@code --factors}
 * floats per feature id. {@code --updates sparse} (the default) sends each step only the looked-up
 * weights' gradients to the parameter server; {@code dense} sends the gradient of the whole weight
 * vector, {@code --hash-buckets} floats a step. {@code --ps} sets the parameter-server tasks; with
 * sparse updates each table (the weight vector, the embeddings) is split by id ranges into {@code
 * --table-shards} shards, one per parameter server by default, so a table larger than one server
 * should hold is spread over several ({@link org.sparktf.core.ShardedTable}); checkpoints and the
 * SavedModel hold each table as one variable. Dense updates keep each table whole.
 *
 * <p>The AdaGrad defaults (learning rate 0.1, initial accumulator 0.001) suit the loss being the
 * batch's mean: a feature id's gradient is its rows' share of the batch, about 1/512 for a click
 * row, and AdaGrad steps by lr * g / sqrt(accumulator), so an initial accumulator of 0.1 (sqrt
 * 0.32) made the steps of every rarely seen id and of every embedding about 160 times smaller than
 * AdaGrad's normalised step lr, and the factorization machine barely left its random start in 2
 * epochs. Measured on the realistic generator's default data (docs/benchmarks.md, "Criteo click
 * models"): the factorization machine's gain went from 0.816 to 0.858 with these defaults.
 */
public final class CriteoTraining {
  static final String USAGE =
      "CriteoTraining --data DIR --model DIR [--workers 2] [--ps 1] [--table-shards P]"
          + " [--epochs 2] [--batch-size 512]"
          + " [--learning-rate 0.1] [--initial-accumulator 0.001] [--hash-buckets 1048576]"
          + " [--eval-every 200]"
          + " [--eval-records 100000] [--checkpoint-every 1000] [--updates sparse|dense]"
          + " [--model-type linear|fm] [--factors 8]";

  private CriteoTraining() {}

  /** The validation curve (step, seconds, log loss) and the exported SavedModel. */
  record Result(List<double[]> curve, String exportDir) {
    double finalLogLoss() {
      return curve.get(curve.size() - 1)[2];
    }
  }

  public static void main(String[] args) {
    boolean ownSession = !JobArgs.hasSession();
    SparkSession spark =
        JobArgs.session(
            "SparkTF Criteo training",
            countOption(args, "--ps", 1) + countOption(args, "--workers", 2));
    try {
      run(spark, args);
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** A node count (--workers, --ps), for sizing a local session before the options are checked. */
  private static int countOption(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name) && args[i + 1].matches("\\d{1,4}")) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }

  static Result run(SparkSession spark, String... args) {
    JobArgs options =
        new JobArgs(
            USAGE,
            Set.of(
                "data",
                "model",
                "workers",
                "ps",
                "table-shards",
                "epochs",
                "batch-size",
                "learning-rate",
                "initial-accumulator",
                "hash-buckets",
                "eval-every",
                "eval-records",
                "checkpoint-every",
                "updates",
                "model-type",
                "factors"),
            args);
    String data = options.required("data");
    String modelDir = options.required("model");
    int workers = options.intValue("workers", 2, 1);
    int ps = options.intValue("ps", 1, 1);
    String updates = options.string("updates", "sparse");
    if (!updates.equals("sparse") && !updates.equals("dense")) {
      throw new IllegalArgumentException(
          "Invalid --updates: " + updates + "; use sparse or dense; usage: " + USAGE);
    }
    // Dense updates apply each table's whole gradient to one variable: they are not sharded.
    int tableShards = options.intValue("table-shards", updates.equals("sparse") ? ps : 1, 1);
    if (updates.equals("dense") && tableShards > 1) {
      throw new IllegalArgumentException(
          "Invalid --table-shards: "
              + tableShards
              + " with --updates dense, which keeps each table whole; use --updates sparse or"
              + " --table-shards 1; usage: "
              + USAGE);
    }
    ClickModel.Type modelType =
        ClickModel.Type.parse(options.string("model-type", "linear"), USAGE);
    if (modelType == ClickModel.Type.LINEAR && options.has("factors")) {
      throw new IllegalArgumentException(
          "Invalid --factors: the linear model has no embeddings; use --model-type fm; usage: "
              + USAGE);
    }
    CriteoNode.Settings settings =
        new CriteoNode.Settings(
            new Path(data, "training").toString(),
            new Path(data, "validation").toString(),
            options.intValue("epochs", 2, 1),
            options.intValue("batch-size", 512, 1),
            (float) options.doubleValue("learning-rate", 0.1, 1e-9, 1e3),
            (float) options.doubleValue("initial-accumulator", 0.001, 1e-12, 1e3),
            options.longValue("hash-buckets", 1 << 20, 1),
            options.longValue("eval-every", 200, 1),
            options.intValue("eval-records", 100_000, 1),
            options.longValue("checkpoint-every", 1000, 1),
            updates.equals("sparse"),
            modelType,
            options.intValue("factors", 8, 1),
            tableShards);
    long start = System.nanoTime();
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(ps + workers)
            .numPs(ps)
            .inputMode(InputMode.TENSORFLOW)
            .modelDir(modelDir)
            .reservationTimeout(Duration.ofMinutes(10))
            .run(new CriteoNode(settings))) {
      cluster.shutdown();
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<double[]> curve = readCurve(conf, new Path(modelDir, CriteoNode.CURVE_FILE));
    String exportDir = latestExport(conf, new Path(modelDir, "export"));
    // The reference's figure: validation log loss over training time, for this worker count.
    String plots = new Path(modelDir, "plots").toString();
    TrainingPlots.write(conf, modelDir, plots, "Criteo, " + ps + " PS + " + workers + " worker(s)");
    System.out.printf(
        "Trained with %d PS + %d workers (%d shard(s) per table) in %.1f s; validation log loss"
            + " by global step:%n",
        ps, workers, tableShards, (System.nanoTime() - start) / 1e9);
    System.out.println("step\tseconds\tvalidation_log_loss");
    for (double[] point : curve) {
      System.out.printf("%d\t%.1f\t%.5f%n", (long) point[0], point[1], point[2]);
    }
    System.out.println("SavedModel: " + exportDir);
    System.out.println("Charts (PNG + CSV): " + plots);
    return new Result(curve, exportDir);
  }

  private static List<double[]> readCurve(Configuration conf, Path file) {
    try (FSDataInputStream in = file.getFileSystem(conf).open(file)) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      List<double[]> curve = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        String[] fields = lines[i].split("\t");
        curve.add(
            new double[] {
              Double.parseDouble(fields[0]),
              Double.parseDouble(fields[1]),
              Double.parseDouble(fields[2])
            });
      }
      return curve;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The export with the highest step under {@code dir}. */
  static String latestExport(Configuration conf, Path dir) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      Path latest = null;
      long latestStep = -1;
      for (FileStatus status : fs.listStatus(dir)) {
        String name = status.getPath().getName();
        if (status.isDirectory() && name.matches("\\d+") && Long.parseLong(name) > latestStep) {
          latestStep = Long.parseLong(name);
          latest = status.getPath();
        }
      }
      if (latest == null) {
        throw new IllegalStateException(
            "Cannot find a SavedModel under " + dir + "; run CriteoTraining first");
      }
      return latest.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}
