package org.sparktf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Describes the machine for the benchmark report: cores, CPU model, memory (Linux /proc). */
final class MachineInfo {
  private MachineInfo() {}

  static String describe() {
    return Runtime.getRuntime().availableProcessors()
        + " cores (nproc), "
        + procValue("/proc/cpuinfo", "model name")
        + ", "
        + procValue("/proc/meminfo", "MemTotal")
        + " memory, Java "
        + System.getProperty("java.version");
  }

  private static String procValue(String file, String key) {
    try {
      List<String> lines = Files.readAllLines(Path.of(file));
      return lines.stream()
          .filter(l -> l.startsWith(key))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst()
          .orElse("unknown " + key);
    } catch (IOException e) {
      return "unknown " + key + " (" + e.getMessage() + ")";
    }
  }
}
