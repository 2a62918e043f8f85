package org.sparktf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the {@code RESULT} lines of {@code bench/read-core.sh} into the "per core" section of
 * docs/benchmarks.md: a table per dataset and pinning, and the SparkTF / TF native ratios. Fails if
 * the contenders' checksums of a dataset differ.
 *
 * <p>Arguments: {@code --results FILE --docs FILE --command TEXT --machine TEXT --load TEXT}.
 */
public final class ReadCoreReport {
  static final String START = "<!-- read-core:start -->";
  static final String END = "<!-- read-core:end -->";

  private ReadCoreReport() {}

  /** One RESULT line, as key=value pairs. */
  static Map<String, String> parse(String line) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : line.trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        fields.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return fields;
  }

  static String section(
      List<Map<String, String>> results, String command, String machine, String load) {
    StringBuilder md = new StringBuilder(START).append('\n');
    md.append("Machine: ").append(machine).append("\n\n");
    md.append("Load average before / after the run: ").append(load).append("\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    md.append("| pinning | dataset | contender | rows | median s | rows/s | rows per CPU-second |")
        .append(" warm-up passes | JIT share | checksum |\n")
        .append("|---|---|---|---:|---:|---:|---:|---|---:|---|\n");
    for (Map<String, String> r : results) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
              r.get("label"),
              r.get("dataset"),
              r.get("contender"),
              r.get("rows"),
              r.get("median_s"),
              r.get("rows_per_s"),
              r.get("rows_per_cpu_s"),
              warmUp(r),
              r.getOrDefault("jit_share", "-"),
              r.get("checksum")));
    }
    md.append('\n');
    for (Map<String, String> r : results) {
      if (!r.get("contender").startsWith("sparktf")) {
        continue;
      }
      Map<String, String> tf = find(results, r.get("label"), r.get("dataset"), "tf-native");
      if (tf == null) {
        continue;
      }
      md.append(
          String.format(
              Locale.ROOT,
              "- %s, %s, %s / TF native: %.2fx rows/s, %.2fx rows per CPU-second%n",
              r.get("label"),
              r.get("dataset"),
              r.get("contender"),
              ratio(r, tf, "rows_per_s"),
              ratio(r, tf, "rows_per_cpu_s")));
    }
    return md.append(END).append('\n').toString();
  }

  /** "3", or "17 (steady)" / "40 (not steady)" under the steady-state rule. */
  private static String warmUp(Map<String, String> r) {
    String passes = r.getOrDefault("warmup", "-");
    String outcome = r.getOrDefault("warmup_outcome", "fixed");
    return outcome.equals("fixed") ? passes : passes + " (" + outcome.replace('-', ' ') + ")";
  }

  private static double ratio(Map<String, String> a, Map<String, String> b, String key) {
    return Double.parseDouble(a.get(key)) / Double.parseDouble(b.get(key));
  }

  private static Map<String, String> find(
      List<Map<String, String>> results, String label, String dataset, String contender) {
    for (Map<String, String> r : results) {
      if (r.get("label").equals(label)
          && r.get("dataset").equals(dataset)
          && r.get("contender").equals(contender)) {
        return r;
      }
    }
    return null;
  }

  /** Fails unless every contender of a dataset read the same rows and values. */
  static void checkChecksums(List<Map<String, String>> results) {
    Map<String, String> byDataset = new LinkedHashMap<>();
    for (Map<String, String> r : results) {
      String key = r.get("rows") + "/" + r.get("checksum");
      String seen = byDataset.putIfAbsent(r.get("dataset"), key);
      if (seen != null && !seen.equals(key)) {
        throw new IllegalStateException(
            "Cannot report: "
                + r.get("contender")
                + " read rows/checksum "
                + key
                + " of "
                + r.get("dataset")
                + " but another contender read "
                + seen);
      }
    }
  }

  public static void main(String[] args) throws IOException {
    List<String> a = List.of(args);
    Path results = Paths.get(a.get(a.indexOf("--results") + 1));
    Path docs = Paths.get(a.get(a.indexOf("--docs") + 1));
    List<Map<String, String>> parsed = new ArrayList<>();
    for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
      if (line.startsWith("RESULT ")) {
        parsed.add(parse(line));
      }
    }
    checkChecksums(parsed);
    String section =
        section(
            parsed,
            a.get(a.indexOf("--command") + 1),
            a.get(a.indexOf("--machine") + 1),
            a.get(a.indexOf("--load") + 1));
    System.out.print(section);
    String existing = Files.readString(docs, StandardCharsets.UTF_8);
    Files.writeString(
        docs,
        HappyPathAbReport.replaceSection(existing, section, START, END),
        StandardCharsets.UTF_8);
  }
}
