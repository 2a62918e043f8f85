package org.sparktf.notebooks;

import org.apache.spark.sql.SparkSession;

/**
 * What the REPL binds as {@code spark}, {@code sc} and {@code z} before a note's first %spark
 * paragraph, as Zeppelin's Spark interpreter does. The REPL reads them from here by name.
 */
public final class ReplBindings {
  private static volatile SparkSession spark;
  private static volatile NoteContext z;

  private ReplBindings() {}

  static void set(SparkSession session, NoteContext context) {
    spark = session;
    z = context;
  }

  static void clear() {
    spark = null;
    z = null;
  }

  public static SparkSession spark() {
    return spark;
  }

  public static NoteContext z() {
    return z;
  }

  /** The lines that bind them, with Zeppelin's default imports. */
  static final String INIT =
      String.join(
          "\n",
          "@transient val spark = org.sparktf.notebooks.ReplBindings.spark",
          "@transient val sc = spark.sparkContext",
          "@transient val sqlContext = spark.sqlContext",
          "@transient val z = org.sparktf.notebooks.ReplBindings.z",
          "import org.apache.spark.SparkContext._",
          "import spark.implicits._",
          "import spark.sql",
          "import org.apache.spark.sql.functions._");
}
