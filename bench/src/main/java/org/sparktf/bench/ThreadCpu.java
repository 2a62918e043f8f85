package org.sparktf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of this process's threads by kind, from Linux's {@code /proc/self/task}: the JVM's JIT
 * compiler and GC threads are not Java threads, so only the kernel's accounting sees them. Used to
 * show where a contender's CPU goes (reading, planning, compiling, collecting). Empty where {@code
 * /proc} is missing.
 */
final class ThreadCpu {
  /** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
  private static final double TICKS_PER_SECOND = 100.0;

  private final Map<String, Long> ticksByThread;

  private ThreadCpu(Map<String, Long> ticksByThread) {
    this.ticksByThread = ticksByThread;
  }

  /** A snapshot of every thread's user + system ticks, keyed by thread id and name. */
  static ThreadCpu snapshot() {
    Map<String, Long> ticks = new HashMap<>();
    Path tasks = Paths.get("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return new ThreadCpu(ticks);
    }
    try (Stream<Path> dirs = Files.list(tasks)) {
      dirs.forEach(dir -> readTask(dir, ticks));
    } catch (IOException e) {
      // A thread ended while listing: its ticks are lost, the rest stay comparable.
    }
    return new ThreadCpu(ticks);
  }

  private static void readTask(Path dir, Map<String, Long> ticks) {
    try {
      String stat = new String(Files.readAllBytes(dir.resolve("stat")), StandardCharsets.US_ASCII);
      // "pid (comm) state ..." where comm may hold spaces: fields resume after the last ')'.
      int open = stat.indexOf('(');
      int close = stat.lastIndexOf(')');
      String name = stat.substring(open + 1, close);
      String[] fields = stat.substring(close + 2).split(" ");
      // After the state (field 3), utime and stime are fields 14 and 15.
      long cpu = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      ticks.put(dir.getFileName() + " " + name, cpu);
    } catch (IOException | RuntimeException e) {
      // The thread ended between listing and reading.
    }
  }

  /** Seconds of CPU the JIT compiler threads ("C1/C2 CompilerThread") took since {@code before}. */
  double compilerSeconds(ThreadCpu before) {
    long ticks = 0;
    for (Map.Entry<String, Long> e : ticksByThread.entrySet()) {
      if (e.getKey().contains("CompilerThre")) {
        ticks += e.getValue() - before.ticksByThread.getOrDefault(e.getKey(), 0L);
      }
    }
    return ticks / TICKS_PER_SECOND;
  }

  /**
   * Seconds of CPU since {@code before}, by thread kind (digits dropped from names, so "C2
   * CompilerThre" and "GC Thread#0" group), largest first, as "kind=seconds" pairs.
   */
  String since(ThreadCpu before) {
    Map<String, Long> byKind = new TreeMap<>();
    ticksByThread.forEach(
        (key, ticks) -> {
          long delta = ticks - before.ticksByThread.getOrDefault(key, 0L);
          String kind = key.substring(key.indexOf(' ') + 1).replaceAll("[0-9]+", "").trim();
          byKind.merge(kind.replace(' ', '_'), delta, Long::sum);
        });
    StringBuilder out = new StringBuilder();
    byKind.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .forEach(
            e ->
                out.append(
                    String.format(
                        Locale.ROOT, " %s=%.2f", e.getKey(), e.getValue() / TICKS_PER_SECOND)));
    return out.toString().trim();
  }
}
