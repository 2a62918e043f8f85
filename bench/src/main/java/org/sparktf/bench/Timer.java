package org.sparktf.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Times the contenders on one dataset, keeping the best of {@code reps}; records into a run. */
final class Timer {
  private final String dataset;
  private final long records;
  private final int reps;
  private final BenchRun run;
  private final Set<Contender> unavailable = new HashSet<>();

  Timer(String dataset, long records, int reps, BenchRun run) {
    this.dataset = dataset;
    this.records = records;
    this.reps = reps;
    this.run = run;
  }

  void write(Contender contender, Dataset<Row> source, Path dir) {
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < reps; rep++) {
      deleteRecursively(dir);
      long start = System.nanoTime();
      try {
        contender.write(source, dir.toString());
      } catch (Exception e) { // Spark throws a checked ClassNotFoundException undeclared
        if (contender == Contender.OURS || !Contender.isMissingSource(e)) {
          throw new IllegalStateException(
              "Cannot write " + dataset + " with " + contender.label() + " to " + dir, e);
        }
        skip(contender, e);
        return;
      }
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    add(contender.label(), "write", records, best, TFRecordBenchmark.dataBytes(dir));
  }

  /** The cost every write shares: scanning the cached source into rows. */
  void scanSource(Dataset<Row> source, Path parquet) {
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < reps; rep++) {
      long start = System.nanoTime();
      SparkContenders.materialise(source);
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    add("source (Parquet)", "scan", records, best, TFRecordBenchmark.dataBytes(parquet));
  }

  void read(SparkSession spark, Contender contender, StructType schema, Path dir) {
    if (unavailable.contains(contender)) {
      return;
    }
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < reps; rep++) {
      long start = System.nanoTime();
      SparkContenders.materialise(contender.read(spark, schema, dir.toString()));
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    add(contender.label(), "read", records, best, TFRecordBenchmark.dataBytes(dir));
  }

  /** TF's native reader on the naive contender's (uncompressed, standard) TFRecord files. */
  void readNative(StructType schema, Path tfrecordDir) {
    List<String> files =
        TFRecordBenchmark.dataFiles(tfrecordDir).stream().map(Path::toString).toList();
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < reps; rep++) {
      long start = System.nanoTime();
      TfNativeReader.Outcome outcome = TfNativeReader.read(files, schema);
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
      if (outcome.rows() != records) {
        throw new IllegalStateException(
            "Cannot verify TF native read of "
                + tfrecordDir
                + ": expected "
                + records
                + " rows, got "
                + outcome.rows());
      }
    }
    add("TF native", "read", records, best, TFRecordBenchmark.dataBytes(tfrecordDir));
  }

  private void add(String contender, String op, long rows, double seconds, long bytes) {
    Measurement m = new Measurement(dataset, contender, op, rows, seconds, bytes);
    run.results().add(m);
    System.out.printf(
        "%s %s %s: %.2f s, %.0f rows/s, %.1f MB/s%n",
        dataset, op, contender, seconds, m.rowsPerSecond(), m.megabytesPerSecond());
  }

  private void skip(Contender contender, Throwable reason) {
    unavailable.add(contender);
    String line =
        dataset
            + " "
            + contender.label()
            + " (write and read): data source not found ("
            + firstLine(reason)
            + ")";
    run.skipped().add(line);
    System.out.println("SKIP " + line);
  }

  private static String firstLine(Throwable error) {
    String message = String.valueOf(error.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete benchmark output " + dir, e);
    }
  }
}
