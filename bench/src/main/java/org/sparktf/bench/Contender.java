package org.sparktf.bench;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** A Spark-side contender: how it writes a DataFrame and how it reads one back. */
public enum Contender {
  /** SparkTF's {@code tfrecord} source. */
  OURS("ours", "ours"),
  /** tensorflow-hadoop Input/OutputFormat + protobuf Example + Row building. */
  NAIVE("naive", "naive"),
  /** Spark's Parquet source. */
  PARQUET("Parquet", "parquet"),
  /** Spark's JSON source. */
  JSON("JSON", "json");

  private final String label;
  private final String dirName;

  Contender(String label, String dirName) {
    this.label = label;
    this.dirName = dirName;
  }

  /** All contenders, in report order. */
  public static List<Contender> all() {
    return List.of(values());
  }

  /** Name shown in the report. */
  public String label() {
    return label;
  }

  /** Output directory name under the dataset's work directory. */
  public String dirName() {
    return dirName;
  }

  /** Writes the DataFrame to the (absent or replaceable) directory. */
  public void write(Dataset<Row> df, String path) {
    switch (this) {
      case OURS -> SparkContenders.writeOurs(df, path);
      case NAIVE -> SparkContenders.writeNaive(df, path);
      case PARQUET -> SparkContenders.writeParquet(df, path);
      case JSON -> SparkContenders.writeJson(df, path);
    }
  }

  /** Returns a lazy DataFrame reading the directory with the given schema. */
  public Dataset<Row> read(SparkSession spark, StructType schema, String path) {
    return switch (this) {
      case OURS -> SparkContenders.readOurs(spark, schema, path);
      case NAIVE -> SparkContenders.readNaive(spark, schema, path);
      case PARQUET -> SparkContenders.readParquet(spark, schema, path);
      case JSON -> SparkContenders.readJson(spark, schema, path);
    };
  }

  /**
   * Whether a failure means the contender's data source is not on the classpath, so that another
   * project's contender is skipped rather than failing the run. SparkTF's own source is never
   * skipped: its absence fails the run (see {@code Timer.write}) and the benchmark test.
   */
  public static boolean isMissingSource(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof ClassNotFoundException
          || message.contains("Failed to find the data source")
          || message.contains("Failed to find data source")
          || message.contains("DATA_SOURCE_NOT_FOUND")) {
        return true;
      }
    }
    return false;
  }
}
