package org.sparktf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Formats measurements as markdown and replaces the results section of docs/benchmarks.md. */
final class BenchReport {
  private static final String START = "<!-- tfrecord-benchmark:start -->";
  private static final String END = "<!-- tfrecord-benchmark:end -->";

  private BenchReport() {}

  /** The markdown table of all measurements plus the target ratios. */
  static String table(List<Measurement> results, List<String> skipped) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| dataset | operation | contender | rows | seconds | rows/s | MB on disk | MB/s |\n");
    out.append("|---|---|---|---:|---:|---:|---:|---:|\n");
    for (Measurement m : results) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %d | %.2f | %.0f | %.1f | %.1f |%n",
              m.dataset(),
              m.operation(),
              m.contender(),
              m.rows(),
              m.seconds(),
              m.rowsPerSecond(),
              m.bytes() / 1e6,
              m.megabytesPerSecond()));
    }
    out.append('\n');
    for (String dataset : List.of("MNIST", "Criteo")) {
      out.append(ratio(results, dataset, "read", "naive", ">= 2x"));
      out.append(ratio(results, dataset, "read", "TF native", ">= 1x"));
      out.append(ratio(results, dataset, "write", "naive", ">= 2x"));
      out.append(netWriteRatio(results, dataset));
    }
    for (String line : skipped) {
      out.append("- skipped: ").append(line).append('\n');
    }
    return out.toString();
  }

  private static String ratio(
      List<Measurement> results, String dataset, String op, String other, String target) {
    Optional<Measurement> ours = find(results, dataset, op, "ours");
    Optional<Measurement> theirs = find(results, dataset, op, other);
    String value =
        ours.isPresent() && theirs.isPresent()
            ? String.format(
                Locale.ROOT, "%.2fx", ours.get().rowsPerSecond() / theirs.get().rowsPerSecond())
            : "n/a (a contender was skipped)";
    return String.format(
        "- %s %s, ours / %s (rows/s): %s (target %s)%n", dataset, op, other, value, target);
  }

  /**
   * Every write first scans the same cached Parquet source; this ratio takes that shared scan time
   * out of both writes, leaving what the two sinks themselves cost.
   */
  private static String netWriteRatio(List<Measurement> results, String dataset) {
    Optional<Measurement> scan = find(results, dataset, "scan", "source (Parquet)");
    Optional<Measurement> ours = find(results, dataset, "write", "ours");
    Optional<Measurement> naive = find(results, dataset, "write", "naive");
    if (scan.isEmpty() || ours.isEmpty() || naive.isEmpty()) {
      return "";
    }
    double s = scan.get().seconds();
    return String.format(
        Locale.ROOT,
        "- %s write net of the source scan (%.1f s), naive / ours (seconds): %.2fx%n",
        dataset,
        s,
        (naive.get().seconds() - s) / (ours.get().seconds() - s));
  }

  private static Optional<Measurement> find(
      List<Measurement> results, String dataset, String op, String contender) {
    return results.stream()
        .filter(m -> m.dataset().equals(dataset) && m.operation().equals(op))
        .filter(m -> m.contender().equals(contender))
        .findFirst();
  }

  /** Writes or replaces the results section of the docs file, creating it with its header. */
  static void updateDocs(Path docs, String header, String section) throws IOException {
    String block = START + "\n" + header + "\n" + section + END + "\n";
    String text =
        Files.exists(docs) ? Files.readString(docs, StandardCharsets.UTF_8) : intro() + "\n";
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    String updated =
        start >= 0 && end > start
            ? text.substring(0, start) + block + text.substring(end + END.length() + 1)
            : text + block;
    Files.createDirectories(docs.toAbsolutePath().getParent());
    Files.writeString(docs, updated, StandardCharsets.UTF_8);
  }

  private static String intro() {
    return "# Benchmarks\n\n"
        + "## TFRecord read/write\n\n"
        + "`org.sparktf.bench.TFRecordBenchmark` (module `bench/`) generates MNIST-like records"
        + " (label + 784 floats) and Criteo-like records (label + 13 int64 + 26 string features,"
        + " with nulls), then writes and reads them with SparkTF's `tfrecord` source, the naive"
        + " path (tensorflow-hadoop InputFormat/OutputFormat + protobuf `Example` + Row building),"
        + " TensorFlow's native C++ reader and parser (TF Java graph mode, one thread; read only),"
        + " and Spark's Parquet and JSON sources. Every read materialises every column (noop sink)."
        + " Spark runs `local[N]` (default 1 core) so rows/s compare per core with single-threaded"
        + " TensorFlow. MB = on-disk bytes of the files read or written.\n\n"
        + "All contenders run side by side in one run on a shared, noisy machine: the ratios matter"
        + " more than the absolute numbers. Targets: read >= 2x naive and >= TF native per core;"
        + " write >= 2x naive.\n";
  }
}
