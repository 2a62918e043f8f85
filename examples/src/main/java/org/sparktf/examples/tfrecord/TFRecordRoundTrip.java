package org.sparktf.examples.tfrecord;

import java.nio.file.Files;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The quick-start job: generates MNIST-shaped rows, writes them as gzip-compressed TFRecord {@code
 * tf.train.Example}s, reads them back with an inferred schema, and checks that every value
 * survived.
 *
 * <p>Usage: {@code TFRecordRoundTrip [outputDir] [rows]}; with no arguments it runs on Spark {@code
 * local[*]} with 10,000 rows in a temporary directory. Under {@code spark-submit} the master comes
 * from the submit command.
 */
public final class TFRecordRoundTrip {
  private TFRecordRoundTrip() {}

  public static void main(String[] args) throws Exception {
    String out = args.length > 0 ? args[0] : Files.createTempDirectory("sparktf-").toString();
    long rows = args.length > 1 ? Long.parseLong(args[1]) : 10_000L;
    SparkSession.Builder builder = SparkSession.builder().appName("SparkTF TFRecord round trip");
    if (!SparkSession.getActiveSession().isDefined()
        && System.getProperty("spark.master") == null) {
      builder.master("local[*]").config("spark.ui.enabled", "false");
    }
    SparkSession spark = builder.getOrCreate();
    try {
      run(spark, out + "/digits.tfrecord", rows);
    } finally {
      spark.stop();
    }
  }

  static void run(SparkSession spark, String path, long rows) {
    Dataset<Row> digits =
        spark
            .range(rows)
            .selectExpr(
                "id",
                "CAST(id % 10 AS BIGINT) AS label",
                "transform(sequence(0, 783), p -> CAST(((p * 7 + id) % 256) / 255.0 AS FLOAT))"
                    + " AS image",
                "concat('digit-', CAST(id AS STRING)) AS name");
    long start = System.nanoTime();
    digits
        .write()
        .format("tfrecord")
        .option("compression", "gzip")
        .mode(SaveMode.Overwrite)
        .save(path);
    double writeSeconds = (System.nanoTime() - start) / 1e9;

    start = System.nanoTime();
    Dataset<Row> back = spark.read().format("tfrecord").load(path);
    long count = back.count();
    Dataset<Row> written = digits.selectExpr("id", "label AS l0", "image AS i0", "name AS n0");
    long mismatches =
        back.join(written, "id").where("NOT (label = l0 AND image = i0 AND name = n0)").count();
    double readSeconds = (System.nanoTime() - start) / 1e9;

    System.out.printf("Wrote %d rows to %s in %.1f s (gzip TFRecord)%n", rows, path, writeSeconds);
    System.out.printf(
        "Read back %d rows with inferred schema %s in %.1f s%n",
        count, back.schema().simpleString(), readSeconds);
    back.orderBy("id").select("id", "label", "name").show(3, false);
    System.out.printf("Rows that differ from what was written: %d%n", mismatches);
    if (count != rows || mismatches != 0) {
      throw new IllegalStateException(
          "Round trip failed: wrote "
              + rows
              + " rows, read "
              + count
              + ", "
              + mismatches
              + " differ");
    }
  }
}
