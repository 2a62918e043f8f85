package org.sparktf.examples.criteo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/** The "--name value" options of the Criteo jobs, and the Spark session they run in. */
final class JobArgs {
  private final String usage;
  private final Map<String, String> values = new LinkedHashMap<>();

  /**
   * @throws IllegalArgumentException for an option not in {@code known} or without a value
   */
  JobArgs(String usage, Set<String> known, String... args) {
    this.usage = usage;
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (!name.startsWith("--") || !known.contains(name.substring(2))) {
        throw new IllegalArgumentException("Invalid option: " + name + "; usage: " + usage);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "Invalid option: " + name + " needs a value; usage: " + usage);
      }
      values.put(name.substring(2), args[i + 1]);
    }
  }

  String required(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new IllegalArgumentException("Missing option: --" + name + "; usage: " + usage);
    }
    return value;
  }

  /** Whether the option was given. */
  boolean has(String name) {
    return values.containsKey(name);
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  long longValue(String name, long fallback, long min) {
    long value;
    try {
      value = values.containsKey(name) ? Long.parseLong(values.get(name)) : fallback;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Invalid --" + name + ": " + values.get(name) + "; it must be an integer", e);
    }
    if (value < min) {
      throw new IllegalArgumentException(
          "Invalid --" + name + ": " + value + "; it must be >= " + min);
    }
    return value;
  }

  int intValue(String name, int fallback, int min) {
    return Math.toIntExact(longValue(name, fallback, min));
  }

  double doubleValue(String name, double fallback, double min, double max) {
    double value;
    try {
      value = values.containsKey(name) ? Double.parseDouble(values.get(name)) : fallback;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Invalid --" + name + ": " + values.get(name) + "; it must be a number", e);
    }
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          "Invalid --" + name + ": " + value + "; it must be in [" + min + ", " + max + "]");
    }
    return value;
  }

  /**
   * Whether a session already runs in this JVM (spark-shell, a Zeppelin note, a test): a job's
   * {@code main} then uses it and leaves it running when it ends.
   */
  static boolean hasSession() {
    return SparkSession.getActiveSession().isDefined()
        || SparkSession.getDefaultSession().isDefined();
  }

  /**
   * The active session, or a new one: on Spark local[*] when neither spark-submit nor
   * -Dspark.master chose a master.
   */
  static SparkSession session(String appName) {
    return session(appName, 1);
  }

  /**
   * Like {@link #session(String)}, with at least {@code minSlots} local task slots: a TensorFlow
   * cluster needs one per node, more than a small machine's cores.
   */
  static SparkSession session(String appName, int minSlots) {
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (!hasSession() && System.getProperty("spark.master") == null) {
      int slots = Math.max(Runtime.getRuntime().availableProcessors(), minSlots);
      builder.master("local[" + slots + "]").config("spark.ui.enabled", "false");
    }
    return builder.getOrCreate();
  }
}
