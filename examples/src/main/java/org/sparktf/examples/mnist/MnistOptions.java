package org.sparktf.examples.mnist;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The command line of {@link MnistJob}: {@code --name value} pairs, all optional. */
final class MnistOptions implements Serializable {
  private static final long serialVersionUID = 1L;
  static final List<String> MODES = List.of("spark", "tensorflow", "pipeline");

  static final String USAGE =
      "Options (all optional):\n"
          + "  --data DIR            the four MNIST IDX files (.gz or plain), any Hadoop URI;"
          + " default: the shipped sample\n"
          + "  --output DIR          data, models, predictions; default: a new /tmp/sparktf-mnist-*\n"
          + "  --modes LIST          of spark,tensorflow,pipeline; default: all three\n"
          + "  --epochs N            default 10\n"
          + "  --batch-size N        default 100\n"
          + "  --learning-rate F     SGD learning rate, default 0.1\n"
          + "  --hidden-units N      default 128\n"
          + "  --cluster-size N      TensorFlow nodes (one per executor), default 3\n"
          + "  --num-ps N            parameter servers among them, default 1\n"
          + "  --partitions N        TFRecord/Parquet files per split, default 4\n"
          + "  --train-limit N       use the first N training images (0: all), default 0\n"
          + "  --test-limit N        use the first N test images (0: all), default 0\n"
          + "  --seed N              initializer seed, default 42";

  String data = MnistData.SAMPLE;
  String output;
  List<String> modes = MODES;
  int epochs = 10;
  int batchSize = 100;
  float learningRate = 0.1f;
  int hiddenUnits = 128;
  int clusterSize = 3;
  int numPs = 1;
  int partitions = 4;
  int trainLimit;
  int testLimit;
  long seed = 42;

  static MnistOptions parse(String... args) {
    MnistOptions options = new MnistOptions();
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (i + 1 == args.length) {
        throw new IllegalArgumentException(
            "Invalid option " + name + ": it needs a value\n" + USAGE);
      }
      options.set(name, args[i + 1]);
    }
    if (options.numPs >= options.clusterSize) {
      throw new IllegalArgumentException(
          "Invalid --num-ps: "
              + options.numPs
              + "; it must be smaller than --cluster-size "
              + options.clusterSize
              + " so at least one worker remains");
    }
    return options;
  }

  private void set(String name, String value) {
    try {
      switch (name) {
        case "--data" -> data = value;
        case "--output" -> output = value;
        case "--modes" -> modes = modes(value);
        case "--epochs" -> epochs = positive(name, Integer.parseInt(value));
        case "--batch-size" -> batchSize = positive(name, Integer.parseInt(value));
        case "--learning-rate" -> learningRate = Float.parseFloat(value);
        case "--hidden-units" -> hiddenUnits = positive(name, Integer.parseInt(value));
        case "--cluster-size" -> clusterSize = positive(name, Integer.parseInt(value));
        case "--num-ps" -> numPs = Integer.parseInt(value);
        case "--partitions" -> partitions = positive(name, Integer.parseInt(value));
        case "--train-limit" -> trainLimit = Integer.parseInt(value);
        case "--test-limit" -> testLimit = Integer.parseInt(value);
        case "--seed" -> seed = Long.parseLong(value);
        default -> throw new IllegalArgumentException("Invalid option: " + name + "\n" + USAGE);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Invalid value for " + name + ": '" + value + "' is not a number", e);
    }
  }

  private static int positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(
          "Invalid value for " + name + ": " + value + "; it must be >= 1");
    }
    return value;
  }

  private static List<String> modes(String value) {
    List<String> modes = new ArrayList<>();
    for (String mode : value.toLowerCase(Locale.ROOT).split(",")) {
      if (!MODES.contains(mode.trim())) {
        throw new IllegalArgumentException(
            "Invalid mode: '" + mode + "'; expected a comma-separated list of " + MODES);
      }
      modes.add(mode.trim());
    }
    return modes;
  }
}
