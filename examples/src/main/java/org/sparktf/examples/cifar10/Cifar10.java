package org.sparktf.examples.cifar10;

import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * The CIFAR-10 workload of the reference architecture: TensorFlow's classic cifar10 CNN trained on
 * Spark executors (one tower per GPU), evaluated from its latest checkpoint, and served in a batch
 * inference job. See docs/examples/cifar10.md.
 *
 * <pre>
 * Cifar10 generate --data_dir DIR [--train_images 5000] [--test_images 1000]
 * Cifar10 train    --data_dir DIR --model_dir DIR [--export_dir DIR] [--workers 1] [--ps 0]
 *                  [--towers 0] [--batch_size 128] [--epochs 10] [--steps 0]
 *                  [--learning_rate 0.1]
 * Cifar10 eval     --data_dir DIR --model_dir DIR
 * Cifar10 infer    --data_dir DIR --export_dir DIR/STEP [--batch_size 1024]
 * Cifar10 to-tfrecord --data_dir DIR --output DIR
 * Cifar10 [demo]   (generated data in a temporary directory: generate, train, eval, infer)
 * </pre>
 *
 * <p>Directories are Hadoop FileSystem URIs or local paths. Training exports the SavedModel to
 * {@code <export_dir>/<global step>} ({@code --export_dir} defaults to {@code <model_dir>/export})
 * and prints that path, which {@code infer} takes. {@code --towers 0} means one tower per GPU Spark
 * gives the node (set {@code spark.task.resource.gpu.amount}), or one on the CPU. Without {@code
 * --master} (or {@code spark.master}) it runs on Spark {@code local[*]}.
 */
public final class Cifar10 {
  private static final Map<String, Set<String>> OPTIONS =
      Map.of(
          "generate", Set.of("data_dir", "train_images", "test_images", "seed"),
          "train",
              Set.of(
                  "data_dir",
                  "model_dir",
                  "export_dir",
                  "workers",
                  "ps",
                  "towers",
                  "batch_size",
                  "epochs",
                  "steps",
                  "learning_rate",
                  "seed"),
          "eval", Set.of("data_dir", "model_dir"),
          "infer", Set.of("data_dir", "export_dir", "batch_size"),
          "to-tfrecord", Set.of("data_dir", "output"),
          "demo",
              Set.of(
                  "train_images", "test_images", "towers", "batch_size", "steps", "learning_rate"));

  private Cifar10() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "demo" : args[0];
    Map<String, String> options = parse(command, args.length == 0 ? List.of() : List.of(args));
    SparkSession.Builder builder = SparkSession.builder().appName("SparkTF CIFAR-10 " + command);
    if (!SparkSession.getActiveSession().isDefined()
        && System.getProperty("spark.master") == null) {
      builder.master("local[*]").config("spark.ui.enabled", "false");
    }
    SparkSession spark = builder.getOrCreate();
    try {
      run(spark, command, options);
    } finally {
      spark.stop();
    }
  }

  static void run(SparkSession spark, String command, Map<String, String> o) throws Exception {
    switch (command) {
      case "generate":
        SyntheticCifar10.generate(
            spark.sparkContext().hadoopConfiguration(),
            required(o, "data_dir"),
            intOption(o, "train_images", 5000),
            intOption(o, "test_images", 1000),
            longOption(o, "seed", 1));
        System.out.println("Wrote synthetic CIFAR-10 batches to " + o.get("data_dir"));
        break;
      case "train":
        train(spark, o);
        break;
      case "eval":
        evaluate(spark, required(o, "data_dir"), required(o, "model_dir"));
        break;
      case "infer":
        infer(spark, required(o, "data_dir"), required(o, "export_dir"), o);
        break;
      case "to-tfrecord":
        Cifar10Jobs.toTFRecord(spark, required(o, "data_dir"), required(o, "output"));
        System.out.println("Wrote TFRecords to " + o.get("output") + "/train and /test");
        break;
      default:
        demo(spark, o);
    }
  }

  private static void demo(SparkSession spark, Map<String, String> o) throws Exception {
    String dir = Files.createTempDirectory("sparktf-cifar10-").toUri().toString();
    String data = dir + "data";
    SyntheticCifar10.generate(
        spark.sparkContext().hadoopConfiguration(),
        data,
        intOption(o, "train_images", 4000),
        intOption(o, "test_images", 1000),
        1);
    System.out.println("Generated synthetic CIFAR-10 batches in " + data);
    Map<String, String> train = new HashMap<>(o);
    train.put("data_dir", data);
    train.put("model_dir", dir + "model");
    train.putIfAbsent("batch_size", "64");
    train.putIfAbsent("steps", "300");
    train.put("epochs", "100");
    String export = train(spark, train);
    evaluate(spark, data, dir + "model");
    infer(spark, data, export, Map.of());
  }

  private static String train(SparkSession spark, Map<String, String> o) {
    String modelDir = required(o, "model_dir");
    Cifar10Trainer.Settings settings = new Cifar10Trainer.Settings();
    settings.towers = intOption(o, "towers", 0);
    settings.batchSize = intOption(o, "batch_size", 128);
    settings.steps = longOption(o, "steps", 0);
    settings.learningRate = Float.parseFloat(o.getOrDefault("learning_rate", "0.1"));
    settings.seed = longOption(o, "seed", 42);
    settings.exportDir = o.getOrDefault("export_dir", modelDir + "/export");
    Cifar10Jobs.Training result =
        Cifar10Jobs.train(
            spark,
            required(o, "data_dir"),
            modelDir,
            intOption(o, "workers", 1),
            intOption(o, "ps", 0),
            intOption(o, "epochs", 10),
            settings);
    System.out.printf(
        "Trained to global step %d in %.1f s: %d images, %.1f images/s (including cluster"
            + " start-up); SavedModel in %s%n",
        result.globalStep(),
        result.seconds(),
        result.images(),
        result.imagesPerSecond(),
        result.exportDir());
    return result.exportDir();
  }

  private static void evaluate(SparkSession spark, String dataDir, String modelDir) {
    Cifar10Jobs.Evaluation result = Cifar10Jobs.evaluate(spark, dataDir, modelDir);
    System.out.printf(
        "precision @ 1 = %.3f (%d of %d test images, checkpoint at step %d)%n",
        result.precision(), result.correct(), result.images(), result.checkpointStep());
    System.out.println("Charts (PNG + CSV): " + Cifar10Jobs.plot(spark, modelDir));
  }

  private static void infer(
      SparkSession spark, String dataDir, String exportDir, Map<String, String> o) {
    Cifar10Jobs.Inference result =
        Cifar10Jobs.infer(spark, dataDir, exportDir, intOption(o, "batch_size", 1024));
    System.out.printf(
        "Batch inference: %d images in %.2f s = %.0f images/s; accuracy %.3f%n",
        result.images(), result.seconds(), result.imagesPerSecond(), result.accuracy());
  }

  /** {@code --name value} pairs after the command, checked against the command's options. */
  static Map<String, String> parse(String command, List<String> args) {
    Set<String> allowed = OPTIONS.get(command);
    if (allowed == null) {
      throw new IllegalArgumentException(
          "Invalid command: " + command + "; use one of " + OPTIONS.keySet());
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.size(); i += 2) {
      String key = args.get(i);
      if (!key.startsWith("--") || !allowed.contains(key.substring(2))) {
        throw new IllegalArgumentException(
            "Invalid option for " + command + ": " + key + "; its options are --" + allowed);
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException("Invalid option " + key + ": it needs a value");
      }
      options.put(key.substring(2), args.get(i + 1));
    }
    return options;
  }

  private static String required(Map<String, String> o, String name) {
    String value = o.get(name);
    if (value == null) {
      throw new IllegalArgumentException("Invalid arguments: --" + name + " is required");
    }
    return value;
  }

  private static int intOption(Map<String, String> o, String name, int fallback) {
    return (int) longOption(o, name, fallback);
  }

  private static long longOption(Map<String, String> o, String name, long fallback) {
    String value = o.get(name);
    try {
      return value == null ? fallback : Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Invalid value for --" + name + ": " + value + "; it must be a whole number", e);
    }
  }
}
