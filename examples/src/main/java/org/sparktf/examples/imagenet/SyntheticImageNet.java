package org.sparktf.examples.imagenet;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a small synthetic data set in the layout and record format of {@code build_imagenet_data}
 * ({@code train-00000-of-0000N}, {@code validation-...}; JPEG bytes, label, size, format, ...), to
 * try the ImageNet jobs without the real data. Class c's images are noisy pictures of a shape in a
 * colour of its own, of random sizes, so a network can learn them.
 *
 * <p>Usage: {@code SyntheticImageNet <outputDir> [trainFiles] [validationFiles] [imagesPerFile]
 * [classes]}.
 */
public final class SyntheticImageNet {
  private SyntheticImageNet() {}

  public static void main(String[] args) {
    if (args.length < 1) {
      throw new IllegalArgumentException(
          "Missing argument: SyntheticImageNet <outputDir> [trainFiles] [validationFiles]"
              + " [imagesPerFile] [classes]");
    }
    SparkSession spark = SparkSession.builder().appName("SparkTF synthetic ImageNet").getOrCreate();
    try {
      int imagesPerFile = args.length > 3 ? Integer.parseInt(args[3]) : 64;
      int classes = args.length > 4 ? Integer.parseInt(args[4]) : 10;
      write(
          spark,
          args[0],
          "train",
          args.length > 1 ? Integer.parseInt(args[1]) : 4,
          imagesPerFile,
          classes,
          1);
      write(
          spark,
          args[0],
          "validation",
          args.length > 2 ? Integer.parseInt(args[2]) : 2,
          imagesPerFile,
          classes,
          2);
    } finally {
      spark.stop();
    }
  }

  /**
   * Writes {@code files} files {@code <split>-0000i-of-0000N} of {@code imagesPerFile} images each
   * into {@code dir}, with labels 1..classes (0 stays background, as in ImageNet).
   */
  static void write(
      SparkSession spark,
      String dir,
      String split,
      int files,
      int imagesPerFile,
      int classes,
      long seed) {
    StructType schema =
        new StructType()
            .add("image/encoded", DataTypes.BinaryType, false)
            .add("image/class/label", DataTypes.LongType, false)
            .add("image/class/synset", DataTypes.StringType, false)
            .add("image/height", DataTypes.LongType, false)
            .add("image/width", DataTypes.LongType, false)
            .add("image/channels", DataTypes.LongType, false)
            .add("image/colorspace", DataTypes.StringType, false)
            .add("image/format", DataTypes.StringType, false)
            .add("image/filename", DataTypes.StringType, false);
    Random random = new Random(seed);
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    for (int f = 0; f < files; f++) {
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < imagesPerFile; i++) {
        int label = 1 + random.nextInt(classes);
        int width = 80 + random.nextInt(60);
        int height = 80 + random.nextInt(60);
        rows.add(
            RowFactory.create(
                jpeg(label, width, height, random),
                (long) label,
                String.format("n%08d", label),
                (long) height,
                (long) width,
                3L,
                "RGB",
                "JPEG",
                String.format("%s_%05d_%05d.JPEG", split, f, i)));
      }
      String name = String.format("%s-%05d-of-%05d", split, f, files);
      Path staging = new Path(dir, "_staging_" + name);
      Dataset<Row> frame = spark.createDataFrame(rows, schema).coalesce(1);
      frame.write().format("tfrecord").mode(SaveMode.Overwrite).save(staging.toString());
      try {
        FileSystem fs = staging.getFileSystem(conf);
        for (FileStatus part : fs.listStatus(staging)) {
          if (part.getPath().getName().startsWith("part-")) {
            fs.rename(part.getPath(), new Path(dir, name));
          }
        }
        fs.delete(staging, true);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot publish " + name + ": " + e.getMessage(), e);
      }
    }
  }

  /** A noisy picture of class {@code label}: its own background hue and a centred block. */
  static byte[] jpeg(int label, int width, int height, Random random) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    float hue = (label * 0.13f) % 1f;
    Graphics2D g = image.createGraphics();
    g.setColor(Color.getHSBColor(hue, 0.8f, 0.9f));
    g.fillRect(0, 0, width, height);
    g.setColor(Color.getHSBColor((hue + 0.5f) % 1f, 0.9f, 0.4f));
    int size = Math.min(width, height) * (1 + label % 3) / 5;
    g.fillRect((width - size) / 2, (height - size) / 2, size, size);
    g.dispose();
    for (int n = 0; n < width * height / 20; n++) {
      image.setRGB(random.nextInt(width), random.nextInt(height), random.nextInt(0xffffff));
    }
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      if (!ImageIO.write(image, "jpg", out)) {
        throw new IllegalStateException("Cannot encode a JPEG: no ImageIO writer for jpg");
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode a JPEG: " + e.getMessage(), e);
    }
  }
}
