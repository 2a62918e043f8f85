package org.sparktf.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.ServiceLoader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.sparktf.core.DataFeed;
import org.sparktf.core.FeedBatch;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.TFCluster;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The happy path's two throughputs, for before/after comparisons of SparkTF's own classes (see
 * {@code bench/ab.sh}): one JVM run measures
 *
 * <ol>
 *   <li>the SPARK-mode feed: rows/s of {@link TFCluster#train} of a cached MNIST-like DataFrame
 *       (label + 784 floats) to one worker whose node function takes every batch and reads its
 *       tensors;
 *   <li>the TFRecord read: rows/s of {@code spark.read().format("tfrecord")} of pre-generated
 *       MNIST-like Example records, every value materialised (Spark's {@code noop} sink),
 *       uncompressed and gzip-compressed.
 * </ol>
 *
 * Each measurement runs one untimed warm-up pass first. The result is one line, {@code RESULT
 * feed_rows_per_s=... read_rows_per_s=... read_gzip_rows_per_s=...}, and a {@code CLASSES} line
 * naming where the driver, the node process and Spark loaded SparkTF's classes from (so a caller
 * that swaps class paths can check which build ran).
 *
 * <p>Only public API that has not changed since the reviews is used, so the same compiled harness
 * runs against older and newer SparkTF classes.
 *
 * <p>Usage: {@code HappyPathBenchmark --work DIR [--prepare] [--feed-rows 60000] [--feed-epochs 5]
 * [--read-records 200000] [--read-passes 3] [--gzip true] [--cores 2]}. The TFRecord data is
 * generated once into {@code DIR} and reused; {@code --prepare} only generates it.
 */
public final class HappyPathBenchmark {
  private static final int BATCH = 100;
  private static final int PARTITIONS = 4;
  private static final long SEED = 42;
  private static final String RATE_FILE = "feed.txt";
  private static final String WARM_FILE = "warm.txt";

  private HappyPathBenchmark() {}

  /** Options; see the class comment. */
  record Options(
      Path work,
      boolean prepare,
      int feedRows,
      int feedEpochs,
      long readRecords,
      int readPasses,
      boolean gzip,
      int cores) {

    static Options parse(String[] args) {
      Path work = null;
      boolean prepare = false;
      int feedRows = 60_000;
      int feedEpochs = 5;
      long readRecords = 200_000;
      int readPasses = 3;
      boolean gzip = true;
      int cores = 2;
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (name.equals("--prepare")) {
          prepare = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("Invalid argument: " + name + " needs a value");
        }
        String value = args[++i];
        switch (name) {
          case "--work" -> work = Path.of(value).toAbsolutePath();
          case "--feed-rows" -> feedRows = positive(name, value);
          case "--feed-epochs" -> feedEpochs = positive(name, value);
          case "--read-records" -> readRecords = positive(name, value);
          case "--read-passes" -> readPasses = positive(name, value);
          case "--cores" -> cores = positive(name, value);
          case "--gzip" -> gzip = bool(name, value);
          default -> throw new IllegalArgumentException(
              "Invalid argument: "
                  + name
                  + " (use --work, --prepare, --feed-rows, --feed-epochs, --read-records,"
                  + " --read-passes, --gzip or --cores)");
        }
      }
      if (work == null) {
        throw new IllegalArgumentException(
            "Invalid arguments: --work DIR is required (the generated TFRecords are kept there)");
      }
      if (feedRows % BATCH != 0) {
        // The node takes whole batches: a partial last one would wait for the timed epochs.
        throw new IllegalArgumentException(
            "Invalid --feed-rows: " + feedRows + "; it must be a multiple of " + BATCH);
      }
      if (cores < 2) {
        throw new IllegalArgumentException(
            "Invalid --cores: " + cores + "; the feed needs 2 (one node, one feeding task)");
      }
      return new Options(work, prepare, feedRows, feedEpochs, readRecords, readPasses, gzip, cores);
    }

    private static int positive(String name, String value) {
      int n;
      try {
        n = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        n = 0;
      }
      if (n < 1) {
        throw new IllegalArgumentException(
            "Invalid " + name + ": " + value + "; it must be a positive integer");
      }
      return n;
    }

    private static boolean bool(String name, String value) {
      if (!value.equals("true") && !value.equals("false")) {
        throw new IllegalArgumentException(
            "Invalid " + name + ": " + value + "; use true or false");
      }
      return Boolean.parseBoolean(value);
    }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Files.createDirectories(o.work());
    SparkSession spark =
        SparkSession.builder()
            .master("local[" + o.cores() + "]")
            .appName("HappyPathBenchmark")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      Path plain = records(spark, o, false);
      Path gzip = o.gzip() ? records(spark, o, true) : null;
      if (o.prepare()) {
        System.out.println("PREPARED " + plain + (gzip == null ? "" : " " + gzip));
        return;
      }
      FeedResult feed = feedRate(spark, o);
      double read = readRate(spark, plain, o);
      StringBuilder result =
          new StringBuilder("RESULT")
              .append(String.format(Locale.ROOT, " feed_rows_per_s=%.1f", feed.rowsPerSecond))
              .append(String.format(Locale.ROOT, " read_rows_per_s=%.1f", read));
      if (gzip != null) {
        double readGzip = readRate(spark, gzip, o);
        result.append(String.format(Locale.ROOT, " read_gzip_rows_per_s=%.1f", readGzip));
      }
      System.out.println(
          "CLASSES driver_core="
              + location(TFCluster.class)
              + " node_core="
              + feed.nodeCore
              + " datasources="
              + location(tfrecordSource()));
      System.out.println(result);
    } finally {
      spark.stop();
    }
  }

  /** The MNIST-like TFRecord directory, generated (atomically, by rename) when missing. */
  private static Path records(SparkSession spark, Options o, boolean gzip) throws IOException {
    String name = (gzip ? "mnist-gzip-" : "mnist-") + o.readRecords();
    Path dir = o.work().resolve(name);
    if (Files.isDirectory(dir)) {
      return dir;
    }
    Path partial = o.work().resolve(name + ".partial-" + ProcessHandle.current().pid());
    BenchData.generate(spark, BenchData.Kind.MNIST, o.readRecords(), PARTITIONS, SEED)
        .write()
        .format("tfrecord")
        .option("compression", gzip ? "gzip" : "none")
        .save(partial.toUri().toString());
    Files.move(partial, dir);
    return dir;
  }

  private static double readRate(SparkSession spark, Path dir, Options o) {
    String path = dir.toUri().toString();
    readAll(spark, path); // warm-up
    long start = System.nanoTime();
    for (int i = 0; i < o.readPasses(); i++) {
      readAll(spark, path);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return o.readPasses() * o.readRecords() / seconds;
  }

  private static void readAll(SparkSession spark, String path) {
    spark
        .read()
        .format("tfrecord")
        .schema(BenchData.mnistSchema())
        .load(path)
        .write()
        .format("noop")
        .mode("overwrite")
        .save();
  }

  private record FeedResult(double rowsPerSecond, String nodeCore) {}

  /**
   * One cluster: a warm-up epoch (which also warms the node JVM and loads TensorFlow there), then,
   * once the node has taken every warm-up row, {@code feedEpochs} timed epochs. The timed window
   * runs from the driver starting the timed {@code train} to the node taking the last row (both
   * read the same wall clock): {@code train} returns while the worker may still hold up to 16
   * queued frames, so neither it nor the warm-up's end can be timed from the driver alone.
   */
  private static FeedResult feedRate(SparkSession spark, Options o) throws IOException {
    Dataset<Row> images =
        BenchData.generate(spark, BenchData.Kind.MNIST, o.feedRows(), PARTITIONS, SEED).cache();
    long labelSum = images.agg(org.apache.spark.sql.functions.sum("label")).first().getLong(0);
    Path out = Files.createTempDirectory(o.work(), "feed-");
    try {
      Instant start;
      try (TFCluster cluster =
          TFCluster.builder(spark)
              .numExecutors(1)
              .inputMode(InputMode.SPARK)
              .modelDir(out.toUri().toString())
              .reservationTimeout(Duration.ofMinutes(5))
              .feedTimeout(Duration.ofMinutes(5))
              .shutdownTimeout(Duration.ofMinutes(5))
              .run(new ConsumeEverything(o.feedRows()))) {
        cluster.train(images, 1);
        awaitWarm(out.resolve(WARM_FILE), Duration.ofMinutes(5));
        start = Instant.now();
        cluster.train(images, o.feedEpochs());
        cluster.shutdown();
      }
      String[] fed = Files.readString(out.resolve(RATE_FILE)).trim().split(" ");
      long rows = Long.parseLong(fed[0]);
      long labels = Long.parseLong(fed[1]);
      Instant end = Instant.parse(fed[2]);
      long expectedRows = (long) o.feedRows() * (1 + o.feedEpochs());
      if (rows != expectedRows || labels != labelSum * (1 + o.feedEpochs())) {
        throw new IllegalStateException(
            "Cannot measure the feed: the worker took "
                + rows
                + " rows (label sum "
                + labels
                + "), expected "
                + expectedRows
                + " (label sum "
                + labelSum * (1 + o.feedEpochs())
                + ")");
      }
      double seconds = ChronoUnit.MICROS.between(start, end) / 1e6;
      return new FeedResult((double) o.feedRows() * o.feedEpochs() / seconds, fed[3]);
    } finally {
      images.unpersist();
      deleteTree(out);
    }
  }

  /**
   * Takes every batch, reads one pixel per row and every label (so the tensors are really
   * materialised), and writes "rows labelSum lastRowTime coreLocation" to the model directory.
   */
  static final class ConsumeEverything implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final long warmupRows;

    ConsumeEverything(long warmupRows) {
      this.warmupRows = warmupRows;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      DataFeed feed = ctx.dataFeed();
      long rows = 0;
      long labels = 0;
      double pixels = 0;
      Instant last = Instant.now();
      boolean warm = false;
      while (true) {
        FeedBatch batch = feed.nextBatch(BATCH);
        int n = batch.rows();
        if (n == 0) {
          break;
        }
        try (TFloat32 x = batch.float32("image");
            TInt64 y = batch.int64("label")) {
          for (int r = 0; r < n; r++) {
            pixels += x.getFloat(r, r % BenchData.MNIST_PIXELS);
            labels += y.getLong(r);
          }
        }
        rows += n;
        last = Instant.now();
        if (!warm && rows >= warmupRows) {
          warm = true;
          Files.writeString(Path.of(URI.create(ctx.modelDir())).resolve(WARM_FILE), "" + last);
        }
      }
      String report =
          rows + " " + labels + " " + last + " " + location(ctx.getClass()) + " " + pixels;
      Files.writeString(Path.of(URI.create(ctx.modelDir())).resolve(RATE_FILE), report);
    }
  }

  /** Waits until the node wrote {@code marker}: it has taken every warm-up row. */
  private static void awaitWarm(Path marker, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(marker)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cannot measure the feed: the worker did not take the warm-up epoch within "
                + timeout.toSeconds()
                + " s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot measure the feed: interrupted", e);
      }
    }
  }

  /** The class implementing the {@code tfrecord} short name, as Spark finds it. */
  private static Class<?> tfrecordSource() {
    for (DataSourceRegister source : ServiceLoader.load(DataSourceRegister.class)) {
      if (source.shortName().equals("tfrecord")) {
        return source.getClass();
      }
    }
    throw new IllegalStateException(
        "Cannot find the tfrecord data source: sparktf-datasources is not on the class path");
  }

  /** Where a class was loaded from (a jar or classes directory). */
  static String location(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException | NullPointerException e) {
      return "unknown(" + type.getName() + ")";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
