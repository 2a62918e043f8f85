package org.sparktf.notebooks;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The interpreters the notes use, by the {@code %name} a paragraph's text starts with. */
enum Interpreter {
  MD,
  SPARK,
  SQL;

  private static final Pattern PREFIX = Pattern.compile("^\\s*%([\\w.]+)[ \\t]*\\n?");

  /**
   * The paragraph's interpreter; text without a prefix is the note's default group's, %spark.
   *
   * @throws IllegalArgumentException for an interpreter the runner does not have
   */
  static Interpreter of(String text) {
    Matcher prefix = PREFIX.matcher(text);
    if (!prefix.find()) {
      return SPARK;
    }
    return switch (prefix.group(1)) {
      case "md", "markdown" -> MD;
      case "spark", "spark.spark" -> SPARK;
      case "sql", "spark.sql" -> SQL;
      default -> throw new IllegalArgumentException(
          "Invalid paragraph: interpreter %"
              + prefix.group(1)
              + " is not one the notes may use (%md, %spark, %sql, %spark.sql)");
    };
  }

  /** The paragraph's code, without the interpreter prefix. */
  String body(String text) {
    Matcher prefix = PREFIX.matcher(text);
    return prefix.find() ? text.substring(prefix.end()) : text;
  }
}
