package org.sparktf.examples.mnist;

import org.apache.spark.sql.SparkSession;

/**
 * The data setup job alone: converts the four MNIST IDX files of {@code --data} into TFRecords and
 * Parquet under {@code --output}/data/{train,test}/{tfrecord,parquet}, as {@link MnistJob} does
 * before training. Takes {@link MnistJob}'s {@code --data}, {@code --output}, {@code --partitions},
 * {@code --train-limit} and {@code --test-limit} options; {@code --output} is required.
 */
public final class MnistDataSetup {
  private MnistDataSetup() {}

  public static void main(String[] args) {
    MnistOptions options = MnistOptions.parse(args);
    if (options.output == null) {
      throw new IllegalArgumentException(
          "Invalid --output: not set; pass the directory to write the TFRecords and Parquet to");
    }
    boolean ownSession = !SparkSession.getActiveSession().isDefined();
    SparkSession.Builder builder = SparkSession.builder().appName("SparkTF MNIST data setup");
    if (ownSession && System.getProperty("spark.master") == null) {
      builder.master("local[*]").config("spark.ui.enabled", "false");
    }
    SparkSession spark = builder.getOrCreate();
    try {
      String out = options.output.replaceAll("/+$", "") + "/data";
      long start = System.nanoTime();
      long[] counts =
          MnistData.setup(
              spark,
              options.data,
              out,
              options.partitions,
              new int[] {options.trainLimit, options.testLimit});
      System.out.printf(
          "Wrote %d training and %d test images from %s to %s/{train,test}/{tfrecord,parquet}"
              + " in %.1f s%n",
          counts[0], counts[1], options.data, out, (System.nanoTime() - start) / 1e9);
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }
}
