package org.sparktf.examples.imagenet;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} command-line flags, each from a known set. */
final class Flags {
  private final Map<String, String> values = new HashMap<>();

  Flags(String[] args, Set<String> known) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "Invalid argument: " + arg + "; pass flags as --name value, one of " + known);
      }
      String name = arg.substring(2);
      if (!known.contains(name)) {
        throw new IllegalArgumentException("Invalid flag: --" + name + "; known flags: " + known);
      }
      values.put(name, args[++i]);
    }
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  String required(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new IllegalArgumentException("Missing flag: --" + name + " is required");
    }
    return value;
  }

  int integer(String name, int fallback) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
  }

  float decimal(String name, float fallback) {
    return values.containsKey(name) ? Float.parseFloat(values.get(name)) : fallback;
  }

  boolean bool(String name, boolean fallback) {
    return values.containsKey(name) ? Boolean.parseBoolean(values.get(name)) : fallback;
  }
}
