package org.sparktf.examples.mnist;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * MNIST-format data as Spark rows {@code (label: long, image: array<float>)}, pixels scaled to [0,
 * 1], and the data setup that writes them as TFRecords ({@code tf.train.Example} with features
 * "label" int64 and "image" float x784) and as Parquet.
 *
 * <p>A data directory holds the four standard files ({@code train-images-idx3-ubyte.gz}, {@code
 * train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz}, {@code
 * t10k-labels-idx1-ubyte.gz}, or the same names without .gz), on any Hadoop file system.
 */
public final class MnistData {
  /** The sample of real MNIST digits shipped in this jar (8,000 train, 2,000 test). */
  public static final String SAMPLE = "classpath:org/sparktf/examples/mnist/sample";

  static final StructType SCHEMA =
      new StructType()
          .add("label", DataTypes.LongType, false)
          .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private MnistData() {}

  /**
   * Reads one split ("train" or "t10k") of a data directory (or {@link #SAMPLE}); keeps the first
   * {@code limit} images when {@code limit > 0}.
   */
  public static Dataset<Row> load(SparkSession spark, String dataDir, String split, int limit) {
    Idx.Images images;
    byte[] labels;
    String imagesName = split + "-images-idx3-ubyte";
    String labelsName = split + "-labels-idx1-ubyte";
    try (InputStream in = open(spark, dataDir, imagesName)) {
      images = Idx.readImages(in, dataDir + "/" + imagesName);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + dataDir + "/" + imagesName + ": " + e.getMessage(), e);
    }
    try (InputStream in = open(spark, dataDir, labelsName)) {
      labels = Idx.readLabels(in, dataDir + "/" + labelsName);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read " + dataDir + "/" + labelsName + ": " + e.getMessage(), e);
    }
    if (labels.length != images.count()) {
      throw new IllegalArgumentException(
          "Invalid MNIST split "
              + split
              + " in "
              + dataDir
              + ": "
              + images.count()
              + " images but "
              + labels.length
              + " labels; the files belong to different data sets");
    }
    int count = limit > 0 ? Math.min(limit, images.count()) : images.count();
    int pixels = images.rows() * images.cols();
    List<Digit> digits = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] image = new byte[pixels];
      System.arraycopy(images.pixels(), i * pixels, image, 0, pixels);
      digits.add(new Digit(labels[i] & 0xff, image));
    }
    // Raw bytes travel in slices of 500 images (under Spark's recommended task size of 1 MiB);
    // the tasks scale them to floats.
    JavaRDD<Row> rows =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(digits, Math.max(4, (count + 499) / 500))
            .map(Digit::toRow);
    return spark.createDataFrame(rows, SCHEMA);
  }

  /** One image as it leaves the driver: 8-bit pixels. */
  private record Digit(long label, byte[] pixels) implements Serializable {
    Row toRow() {
      float[] image = new float[pixels.length];
      for (int p = 0; p < pixels.length; p++) {
        image[p] = (pixels[p] & 0xff) / 255f;
      }
      return RowFactory.create(label, image);
    }
  }

  /**
   * The data setup job: writes both splits of {@code dataDir} under {@code outputDir} as {@code
   * <split>/tfrecord} (gzip, {@code partitions} files) and {@code <split>/parquet}, with split
   * "train" and "test" ({@code t10k} in IDX names); {@code limits} caps each split's rows (0: all).
   * Returns the number of rows per split.
   */
  public static long[] setup(
      SparkSession spark, String dataDir, String outputDir, int partitions, int[] limits) {
    long[] counts = new long[2];
    String[][] splits = {{"train", "train"}, {"t10k", "test"}};
    for (int i = 0; i < splits.length; i++) {
      // A shuffle, not a coalesce: merged slices would ship all their images in one task.
      Dataset<Row> rows =
          load(spark, dataDir, splits[i][0], limits[i]).repartition(partitions).cache();
      String out = outputDir + "/" + splits[i][1];
      rows.write()
          .format("tfrecord")
          .option("compression", "gzip")
          .mode(SaveMode.Overwrite)
          .save(out + "/tfrecord");
      rows.write().mode(SaveMode.Overwrite).parquet(out + "/parquet");
      counts[i] = rows.count();
      rows.unpersist();
    }
    return counts;
  }

  private static InputStream open(SparkSession spark, String dataDir, String name)
      throws IOException {
    if (dataDir.startsWith("classpath:")) {
      String resource = dataDir.substring("classpath:".length()) + "/" + name + ".gz";
      InputStream in = MnistData.class.getClassLoader().getResourceAsStream(resource);
      if (in == null) {
        throw new IllegalArgumentException(
            "Cannot read " + dataDir + "/" + name + ": no resource " + resource + " in the jar");
      }
      return in;
    }
    Path gz = new Path(dataDir, name + ".gz");
    FileSystem fs = gz.getFileSystem(spark.sparkContext().hadoopConfiguration());
    if (fs.exists(gz)) {
      return fs.open(gz);
    }
    Path plain = new Path(dataDir, name);
    if (fs.exists(plain)) {
      return fs.open(plain);
    }
    throw new IllegalArgumentException(
        "Cannot read MNIST data from "
            + dataDir
            + ": neither "
            + name
            + ".gz nor "
            + name
            + " exists there; it needs the four standard MNIST files (see docs/examples/mnist.md)");
  }
}
