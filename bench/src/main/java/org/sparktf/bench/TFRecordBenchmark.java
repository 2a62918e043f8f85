package org.sparktf.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Benchmark of TFRecord reads and writes: SparkTF's source versus the naive tensorflow-hadoop path,
 * TensorFlow's native reader, Parquet and JSON, side by side in one run. Prints a markdown table
 * and replaces the results section of docs/benchmarks.md.
 *
 * <p>Arguments: {@code --records N} (default 1000000 per dataset), {@code --cores N} (Spark
 * local[N], default 1), {@code --reps N} (keep the best, default 1), {@code --warmup N} (records of
 * the untimed warm-up pass, default 20000), {@code --work DIR}, {@code --docs FILE}, {@code
 * --command TEXT} (the command line recorded in the docs).
 */
public final class TFRecordBenchmark {
  private final SparkSession spark;
  private final BenchOptions options;

  /** Creates a benchmark on an existing session; nothing runs until {@link #run}. */
  public TFRecordBenchmark(SparkSession spark, BenchOptions options) {
    this.spark = spark;
    this.options = options;
  }

  /** Runs the benchmark from the command line. */
  public static void main(String[] args) throws IOException {
    BenchOptions options = BenchOptions.parse(args);
    SparkSession spark =
        SparkSession.builder()
            .appName("TFRecordBenchmark")
            .master("local[" + options.cores() + "]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", String.valueOf(options.cores()))
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      BenchRun run = new TFRecordBenchmark(spark, options).run();
      String table = BenchReport.table(run.results(), run.skipped());
      System.out.println(table);
      BenchReport.updateDocs(Paths.get(options.docs()), header(options), table);
      System.out.println("Results written to " + options.docs());
    } finally {
      spark.stop();
    }
  }

  /** Runs the untimed warm-up pass, then the timed pass; returns the timed measurements. */
  public BenchRun run() {
    Path work = Paths.get(options.work());
    if (options.warmupRecords() > 0) {
      System.out.println("Warm-up pass: " + options.warmupRecords() + " records per dataset");
      runPass(work.resolve("warmup"), options.warmupRecords(), 1);
    }
    System.out.println("Timed pass: " + options.records() + " records per dataset");
    return runPass(work.resolve("timed"), options.records(), options.reps());
  }

  /** Generates both datasets and times every contender on them. */
  public BenchRun runPass(Path dir, long records, int reps) {
    BenchRun run = new BenchRun(new ArrayList<>(), new ArrayList<>());
    for (BenchData.Kind kind : BenchData.Kind.values()) {
      Path kindDir = dir.resolve(kind.name().toLowerCase());
      Dataset<Row> source = prepareSource(kind, kindDir.resolve("source.parquet"), records);
      Timer timer = new Timer(datasetName(kind), records, reps, run);
      timer.scanSource(source, kindDir.resolve("source.parquet"));
      for (Contender contender : Contender.all()) {
        timer.write(contender, source, kindDir.resolve(contender.dirName()));
      }
      for (Contender contender : Contender.all()) {
        timer.read(spark, contender, kind.schema(), kindDir.resolve(contender.dirName()));
      }
      timer.readNative(kind.schema(), kindDir.resolve(Contender.NAIVE.dirName()));
    }
    return run;
  }

  private Dataset<Row> prepareSource(BenchData.Kind kind, Path path, long records) {
    int partitions = (int) Math.max(options.cores(), records / 250_000);
    BenchData.generate(spark, kind, records, partitions, options.seed())
        .write()
        .mode("overwrite")
        .parquet(path.toString());
    return spark.read().schema(kind.schema()).parquet(path.toString());
  }

  static String datasetName(BenchData.Kind kind) {
    return kind == BenchData.Kind.MNIST ? "MNIST" : "Criteo";
  }

  /**
   * On-disk bytes of the data files under a directory (Spark/Hadoop "_" and "." files excluded).
   */
  static long dataBytes(Path dir) {
    return dataFiles(dir).stream().mapToLong(p -> p.toFile().length()).sum();
  }

  /** The data files under a directory, sorted; "_SUCCESS", ".crc" and the like excluded. */
  static List<Path> dataFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("_"))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list benchmark files in " + dir, e);
    }
  }

  private static String header(BenchOptions options) {
    return "### Run of "
        + Instant.now()
        + "\n\n"
        + "Machine: "
        + MachineInfo.describe()
        + "\n\n"
        + "Command: `"
        + options.command()
        + "` (Spark local["
        + options.cores()
        + "], "
        + options.records()
        + " records per dataset, best of "
        + options.reps()
        + ")\n";
  }
}
