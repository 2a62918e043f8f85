package org.sparktf.examples.cifar10;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The CIFAR-10 binary format ({@code cifar-10-binary.tar.gz}): files of fixed 3,073-byte records,
 * each one label byte (0..9) followed by a 32x32 colour image as 1,024 red, then 1,024 green, then
 * 1,024 blue bytes, row by row. The training set is {@code data_batch_1.bin} .. {@code
 * data_batch_5.bin} (10,000 records each), the test set {@code test_batch.bin}.
 *
 * <p>{@link #read} turns such files, on any Hadoop FileSystem, into a DataFrame of {@code label}
 * (int) and {@code image} (the 3,072 pixel bytes, binary), which is what the model's input pipeline
 * decodes.
 */
public final class Cifar10Binary {
  public static final int HEIGHT = 32;
  public static final int WIDTH = 32;
  public static final int CHANNELS = 3;
  public static final int IMAGE_BYTES = HEIGHT * WIDTH * CHANNELS;
  public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
  public static final int CLASSES = 10;
  public static final String TEST_FILE = "test_batch.bin";

  /** The directory the official tarball extracts to. */
  public static final String TARBALL_DIR = "cifar-10-batches-bin";

  private static final Pattern TRAIN_FILE = Pattern.compile("data_batch_(\\d+)\\.bin");
  static final StructType SCHEMA =
      new StructType()
          .add("label", DataTypes.IntegerType, false)
          .add("image", DataTypes.BinaryType, false);

  private Cifar10Binary() {}

  /** The training batches ({@code data_batch_N.bin}, in N order) of a CIFAR-10 directory. */
  public static List<Path> trainFiles(Configuration conf, String dataDir) {
    Path dir = resolveDir(conf, dataDir);
    List<FileStatus> batches = new ArrayList<>();
    for (FileStatus status : list(conf, dir)) {
      if (status.isFile() && TRAIN_FILE.matcher(status.getPath().getName()).matches()) {
        batches.add(status);
      }
    }
    if (batches.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot find CIFAR-10 training batches: no data_batch_*.bin in "
              + dir
              + "; extract cifar-10-binary.tar.gz and point the data directory at its "
              + TARBALL_DIR
              + " directory");
    }
    batches.sort(Comparator.comparingInt(Cifar10Binary::batchNumber));
    List<Path> files = new ArrayList<>();
    batches.forEach(status -> files.add(status.getPath()));
    return files;
  }

  private static int batchNumber(FileStatus status) {
    Matcher m = TRAIN_FILE.matcher(status.getPath().getName());
    return m.matches() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
  }

  /** The test batch ({@code test_batch.bin}) of a CIFAR-10 directory. */
  public static Path testFile(Configuration conf, String dataDir) {
    Path dir = resolveDir(conf, dataDir);
    Path file = new Path(dir, TEST_FILE);
    try {
      if (!file.getFileSystem(conf).isFile(file)) {
        throw new IllegalArgumentException(
            "Cannot find the CIFAR-10 test batch: no "
                + file
                + "; extract cifar-10-binary.tar.gz and point the data directory at its "
                + TARBALL_DIR
                + " directory");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /**
   * Reads CIFAR-10 binary files into rows of {@code label} (int) and {@code image} (3,072 bytes).
   * Every file's size is checked on the driver first, so a file of another format fails before any
   * task runs.
   *
   * @throws IllegalArgumentException when a file is missing, empty, or not a whole number of
   *     records
   */
  public static Dataset<Row> read(SparkSession spark, List<Path> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("Invalid CIFAR-10 input: no files given");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> paths = new ArrayList<>();
    for (Path file : files) {
      checkSize(file, length(conf, file));
      paths.add(file.toString());
    }
    JavaRDD<byte[]> records =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .binaryRecords(String.join(",", paths), RECORD_BYTES);
    JavaRDD<Row> rows = records.map(Cifar10Binary::toRow);
    return spark.createDataFrame(rows, SCHEMA);
  }

  /** Checks that a file of {@code length} bytes holds whole CIFAR-10 records. */
  static void checkSize(Path file, long length) {
    if (length == 0 || length % RECORD_BYTES != 0) {
      throw new IllegalArgumentException(
          "Invalid CIFAR-10 batch file: "
              + file
              + " has "
              + length
              + " bytes, not a positive multiple of the "
              + RECORD_BYTES
              + "-byte record (1 label byte + "
              + IMAGE_BYTES
              + " pixel bytes); use the binary version of CIFAR-10 (cifar-10-binary.tar.gz),"
              + " not the Python or MATLAB one");
    }
  }

  static Row toRow(byte[] record) {
    int label = record[0] & 0xff;
    if (label >= CLASSES) {
      throw new IllegalArgumentException(
          "Invalid CIFAR-10 record: label "
              + label
              + " is outside 0..9; the file is not in the CIFAR-10 binary format (CIFAR-100"
              + " records start with 2 label bytes)");
    }
    return RowFactory.create(label, Arrays.copyOfRange(record, 1, RECORD_BYTES));
  }

  /** Writes one record: the label byte, then the 3,072 channel-major pixel bytes. */
  public static void writeRecord(OutputStream out, int label, byte[] image) throws IOException {
    if (label < 0 || label >= CLASSES) {
      throw new IllegalArgumentException("Invalid CIFAR-10 label: " + label + "; use 0..9");
    }
    if (image.length != IMAGE_BYTES) {
      throw new IllegalArgumentException(
          "Invalid CIFAR-10 image: "
              + image.length
              + " bytes; a record holds "
              + IMAGE_BYTES
              + " (32x32, red then green then blue planes)");
    }
    out.write(label);
    out.write(image);
  }

  /** {@code dataDir}, or its {@value #TARBALL_DIR} subdirectory when the tarball was unpacked. */
  private static Path resolveDir(Configuration conf, String dataDir) {
    Path dir = new Path(dataDir);
    Path nested = new Path(dir, TARBALL_DIR);
    try {
      FileSystem fs = dir.getFileSystem(conf);
      if (!fs.exists(dir)) {
        throw new IllegalArgumentException(
            "Cannot read CIFAR-10: the data directory " + dir + " does not exist");
      }
      return fs.isDirectory(nested) ? nested : dir;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + dir + ": " + e.getMessage(), e);
    }
  }

  private static FileStatus[] list(Configuration conf, Path dir) {
    try {
      return dir.getFileSystem(conf).listStatus(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static long length(Configuration conf, Path file) {
    try {
      return file.getFileSystem(conf).getFileStatus(file).getLen();
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("Cannot read CIFAR-10 batch file " + file + ": not found");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
