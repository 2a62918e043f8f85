package org.sparktf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the {@code RESULT} lines of an alternating before/after run of {@link HappyPathBenchmark}
 * (written by {@code bench/ab.sh}) into a markdown section of {@code docs/benchmarks.md}: per
 * metric the median and spread of each side, the after/before ratio and the verdict.
 *
 * <p>The rule (issue 10): a slowdown counts when the after median is lower than the before median
 * by more than 5% <em>and</em> by more than the spread, the larger of the two sides' max - min.
 *
 * <p>Usage: {@code HappyPathAbReport --results FILE --docs FILE --before TEXT --after TEXT
 * --command TEXT [--title TEXT]}. The results file has one line per run: {@code before|after RESULT
 * name=value ...}.
 */
public final class HappyPathAbReport {
  static final String START = "<!-- happy-path-ab:start -->";
  static final String END = "<!-- happy-path-ab:end -->";
  static final double THRESHOLD = 0.05;
  static final int MIN_REPS = 5;

  private static final Map<String, String> LABELS =
      Map.of(
          "feed_rows_per_s", "SPARK-mode feed (rows/s)",
          "read_rows_per_s", "TFRecord read, uncompressed (rows/s)",
          "read_gzip_rows_per_s", "TFRecord read, gzip (rows/s)");

  private HappyPathAbReport() {}

  /** One metric's before/after comparison. */
  record Comparison(
      double beforeMedian,
      double beforeMin,
      double beforeMax,
      double afterMedian,
      double afterMin,
      double afterMax) {

    static Comparison of(List<Double> before, List<Double> after) {
      if (before.isEmpty() || after.isEmpty()) {
        throw new IllegalArgumentException(
            "Invalid results: a metric needs runs on both sides, got "
                + before.size()
                + " before and "
                + after.size()
                + " after");
      }
      return new Comparison(
          median(before),
          Collections.min(before),
          Collections.max(before),
          median(after),
          Collections.min(after),
          Collections.max(after));
    }

    double ratio() {
      return afterMedian / beforeMedian;
    }

    /** The larger of the two sides' max - min. */
    double spread() {
      return Math.max(beforeMax - beforeMin, afterMax - afterMin);
    }

    boolean slowdown() {
      double loss = beforeMedian - afterMedian;
      return loss > THRESHOLD * beforeMedian && loss > spread();
    }

    String verdict() {
      String change = String.format(Locale.ROOT, "%+.1f%%", (ratio() - 1) * 100);
      if (slowdown()) {
        return "**slowdown** (" + change + ")";
      }
      if (afterMedian >= beforeMedian) {
        return "no slowdown (" + change + ")";
      }
      double loss = beforeMedian - afterMedian;
      String why = loss <= THRESHOLD * beforeMedian ? "within 5%" : "within the spread of the runs";
      return "no slowdown (" + change + ", " + why + ")";
    }
  }

  /** The runs of one side, in run order: metric name to values. */
  static Map<String, List<Double>> parse(List<String> lines, String side) {
    Map<String, List<Double>> values = new LinkedHashMap<>();
    for (String line : lines) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length < 3 || !parts[1].equals("RESULT")) {
        throw new IllegalArgumentException(
            "Invalid results line: '" + line + "'; expected 'before|after RESULT name=value ...'");
      }
      if (!parts[0].equals(side)) {
        continue;
      }
      for (int i = 2; i < parts.length; i++) {
        String[] kv = parts[i].split("=", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException(
              "Invalid results line: '" + line + "'; '" + parts[i] + "' is not name=value");
        }
        values.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(Double.parseDouble(kv[1]));
      }
    }
    return values;
  }

  /** The markdown section, markers included. */
  static String section(
      String title, String before, String after, String command, List<String> lines) {
    Map<String, List<Double>> b = parse(lines, "before");
    Map<String, List<Double>> a = parse(lines, "after");
    if (!b.keySet().equals(a.keySet())) {
      throw new IllegalArgumentException(
          "Invalid results: before measured " + b.keySet() + " but after " + a.keySet());
    }
    StringBuilder md = new StringBuilder();
    md.append(START).append('\n');
    md.append("## ").append(title).append("\n\n");
    md.append("Run of ").append(Instant.now()).append(". Machine: ");
    md.append(MachineInfo.describe()).append(" (").append(System.getProperty("java.vm.name"));
    md.append(' ').append(System.getProperty("java.vm.version")).append(").\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    md.append("- before: ").append(before).append('\n');
    md.append("- after: ").append(after).append("\n\n");
    int reps = b.values().iterator().next().size();
    md.append(
        String.format(
            Locale.ROOT,
            "%d runs per side, alternating before, after, before, ... each in a fresh JVM"
                + " (`org.sparktf.bench.HappyPathBenchmark`, one untimed warm-up pass per"
                + " measurement). A slowdown counts when the after median is lower by more than"
                + " %.0f%% and by more than the spread (the larger of the two sides' max - min).%n%n",
            reps,
            THRESHOLD * 100));
    md.append("| metric | before median | before min - max | after median | after min - max")
        .append(" | after / before | verdict |\n|---|---:|---:|---:|---:|---:|---|\n");
    List<String> slowed = new ArrayList<>();
    for (String metric : b.keySet()) {
      Comparison c = Comparison.of(b.get(metric), a.get(metric));
      if (c.slowdown()) {
        slowed.add(label(metric));
      }
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %.0f - %.0f | %.0f | %.0f - %.0f | %.3f | %s |%n",
              label(metric),
              c.beforeMedian(),
              c.beforeMin(),
              c.beforeMax(),
              c.afterMedian(),
              c.afterMin(),
              c.afterMax(),
              c.ratio(),
              c.verdict()));
    }
    md.append('\n');
    if (reps < MIN_REPS) {
      md.append(
          String.format(
              Locale.ROOT,
              "Only %d runs per side: not a result (issue 10 asks for at least %d).%n%n",
              reps,
              MIN_REPS));
    }
    md.append(
            slowed.isEmpty()
                ? "**Verdict: no slowdown.**"
                : "**Verdict: slowdown in " + String.join(", ", slowed) + ".**")
        .append("\n\nRuns in order:\n\n```\n");
    for (String line : lines) {
      md.append(line.trim()).append('\n');
    }
    md.append("```\n").append(END).append('\n');
    return md.toString();
  }

  /** Replaces the section between the markers in {@code docs}, or appends it. */
  static String replaceSection(String existing, String section) {
    return replaceSection(existing, section, START, END);
  }

  /** Replaces the section between the given markers in {@code existing}, or appends it. */
  static String replaceSection(String existing, String section, String start, String end) {
    int from = existing.indexOf(start);
    int to = existing.indexOf(end);
    if (from >= 0 && to > from) {
      return existing.substring(0, from) + section.strip() + existing.substring(to + end.length());
    }
    return existing.stripTrailing() + "\n\n" + section.strip() + "\n";
  }

  public static void main(String[] args) throws IOException {
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("--title", "Happy path: before vs after (SPARK-mode feed, TFRecord read)");
    List<String> names = List.of("--results", "--docs", "--before", "--after", "--command");
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length || !(names.contains(args[i]) || args[i].equals("--title"))) {
        throw new IllegalArgumentException(
            "Invalid argument: " + args[i] + " (use --title or " + names + ", each with a value)");
      }
      opts.put(args[i], args[i + 1]);
    }
    for (String required : names) {
      if (!opts.containsKey(required)) {
        throw new IllegalArgumentException("Invalid arguments: " + required + " is required");
      }
    }
    List<String> lines =
        Files.readAllLines(Path.of(opts.get("--results"))).stream()
            .filter(l -> !l.isBlank())
            .toList();
    String section =
        section(
            opts.get("--title"),
            opts.get("--before"),
            opts.get("--after"),
            opts.get("--command"),
            lines);
    Path docs = Path.of(opts.get("--docs"));
    String existing = Files.exists(docs) ? Files.readString(docs) : "# Benchmarks\n";
    Files.writeString(docs, replaceSection(existing, section));
    System.out.print(section);
  }

  private static String label(String metric) {
    return LABELS.getOrDefault(metric, metric);
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
