package org.sparktf.examples.criteo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The reference architecture's exploratory queries, in Spark SQL over a temporary view {@code
 * criteo} (columns label, I1..I13, C1..C26) registered on raw day files or on the ETL's TFRecords:
 * row count, label distribution, distinct values of categorical columns, a histogram of I1, and the
 * most frequent pairs of categorical values.
 *
 * <p>Usage: {@code CriteoExploration --input PATH [--format tsv|tfrecord]}
 */
public final class CriteoExploration {
  static final String USAGE = "CriteoExploration --input PATH [--format tsv|tfrecord]";

  /** Each query by title, as the reference architecture runs them. */
  static final Map<String, String> QUERIES = queries();

  private CriteoExploration() {}

  public static void main(String[] args) {
    boolean ownSession = !JobArgs.hasSession();
    SparkSession spark = JobArgs.session("SparkTF Criteo exploration");
    try {
      run(spark, args);
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  private static Map<String, String> queries() {
    Map<String, String> queries = new LinkedHashMap<>();
    queries.put("first rows", "SELECT * FROM criteo LIMIT 5");
    queries.put("row count", "SELECT COUNT(*) FROM criteo");
    queries.put(
        "label distribution",
        "SELECT label, COUNT(*) AS count, COUNT(*) / SUM(COUNT(*)) OVER () AS share"
            + " FROM criteo GROUP BY label ORDER BY label");
    queries.put(
        "distinct values",
        "SELECT COUNT(DISTINCT C1), COUNT(DISTINCT C2), COUNT(DISTINCT C3), COUNT(DISTINCT C4),"
            + " COUNT(DISTINCT C5), COUNT(DISTINCT C6) FROM criteo");
    queries.put(
        "histogram of I1",
        "SELECT CAST(hist.x AS BIGINT) AS bin_center, CAST(hist.y AS BIGINT) AS bin_height"
            + " FROM (SELECT histogram_numeric(I1, 20) AS i1_hist FROM criteo) a"
            + " LATERAL VIEW explode(i1_hist) exploded_table AS hist");
    queries.put(
        "top C1, C2 pairs",
        "SELECT C1, C2, COUNT(*) AS coocc_count FROM criteo GROUP BY C1, C2"
            + " ORDER BY coocc_count DESC LIMIT 20");
    queries.put(
        "top C1, C3 pairs",
        "SELECT C1, C3, COUNT(*) AS coocc_count FROM criteo GROUP BY C1, C3"
            + " ORDER BY coocc_count DESC LIMIT 20");
    return queries;
  }

  /** Registers the view, runs and prints every query; returns each query's rows by title. */
  static Map<String, List<Row>> run(SparkSession spark, String... args) {
    JobArgs options = new JobArgs(USAGE, Set.of("input", "format"), args);
    String input = options.required("input");
    String format = options.string("format", "tsv");
    Dataset<Row> data;
    if (format.equals("tsv")) {
      // Empty fields read as null, as in the reference's Hive table.
      data = spark.read().option("sep", "\t").schema(CriteoFormat.SCHEMA).csv(input);
    } else if (format.equals("tfrecord")) {
      data = spark.read().format("tfrecord").schema(CriteoFormat.SCHEMA).load(input);
    } else {
      throw new IllegalArgumentException("Invalid --format: " + format + "; use tsv or tfrecord");
    }
    data.createOrReplaceTempView("criteo");
    Map<String, List<Row>> results = new LinkedHashMap<>();
    QUERIES.forEach(
        (title, sql) -> {
          long start = System.nanoTime();
          Dataset<Row> result = spark.sql(sql);
          List<Row> rows = result.collectAsList();
          System.out.printf("-- %s%nspark-sql> %s;%n", title, sql);
          System.out.println(String.join("\t", result.columns()));
          for (Row row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
              line.append(i > 0 ? "\t" : "").append(row.isNullAt(i) ? "NULL" : row.get(i));
            }
            System.out.println(line);
          }
          System.out.printf("Time taken: %.1f s%n%n", (System.nanoTime() - start) / 1e9);
          results.put(title, rows);
        });
    return results;
  }
}
