package org.sparktf.bench;

import java.util.List;

/**
 * Command-line options of {@link TFRecordBenchmark}.
 *
 * @param records records per dataset in the timed pass
 * @param cores Spark local[N] cores
 * @param reps timed repetitions per contender (the best is kept)
 * @param warmupRecords records per dataset in the untimed warm-up pass (0 = none)
 * @param seed data generator seed
 * @param work directory for generated data and contender output
 * @param docs markdown file whose results section is replaced
 * @param command the command line recorded in the docs
 */
public record BenchOptions(
    long records,
    int cores,
    int reps,
    long warmupRecords,
    long seed,
    String work,
    String docs,
    String command) {

  private static final String DEFAULT_COMMAND =
      "mvn -B -q -DskipTests install && mvn -B -q -pl bench exec:exec";

  /** Parses {@code --name value} pairs; unknown names are rejected. */
  public static BenchOptions parse(String[] args) {
    BenchOptions o =
        new BenchOptions(
            1_000_000, 1, 1, 20_000, 42, "target/bench-work", "docs/benchmarks.md", null);
    for (int i = 0; i < args.length; i++) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("Invalid argument: " + args[i] + " needs a value");
      }
      o = o.with(args[i], args[++i]);
    }
    String command = o.command() != null ? o.command() : DEFAULT_COMMAND + " " + quoted(args);
    return new BenchOptions(
        o.records, o.cores, o.reps, o.warmupRecords, o.seed, o.work, o.docs, command);
  }

  private BenchOptions with(String name, String value) {
    return switch (name) {
      case "--records" -> new BenchOptions(
          Long.parseLong(value), cores, reps, warmupRecords, seed, work, docs, command);
      case "--cores" -> new BenchOptions(
          records, Integer.parseInt(value), reps, warmupRecords, seed, work, docs, command);
      case "--reps" -> new BenchOptions(
          records, cores, Integer.parseInt(value), warmupRecords, seed, work, docs, command);
      case "--warmup" -> new BenchOptions(
          records, cores, reps, Long.parseLong(value), seed, work, docs, command);
      case "--seed" -> new BenchOptions(
          records, cores, reps, warmupRecords, Long.parseLong(value), work, docs, command);
      case "--work" -> new BenchOptions(
          records, cores, reps, warmupRecords, seed, value, docs, command);
      case "--docs" -> new BenchOptions(
          records, cores, reps, warmupRecords, seed, work, value, command);
      case "--command" -> new BenchOptions(
          records, cores, reps, warmupRecords, seed, work, docs, value);
      default -> throw new IllegalArgumentException(
          "Invalid argument: "
              + name
              + " (use --records, --cores, --reps, --warmup, --seed,"
              + " --work, --docs or --command)");
    };
  }

  private static String quoted(String[] args) {
    StringBuilder user = new StringBuilder();
    for (int i = 0; i + 1 < args.length; i += 2) {
      // --work and --docs come from the pom's exec configuration, not from the user.
      if (!List.of("--work", "--docs", "--command").contains(args[i])) {
        user.append(user.length() == 0 ? "" : " ").append(args[i]).append(' ').append(args[i + 1]);
      }
    }
    return "-Dbench.args=\"" + user + "\"";
  }
}
