package org.sparktf.bench;

import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.tensorflow.hadoop.io.TFRecordFileInputFormat;
import org.tensorflow.hadoop.io.TFRecordFileOutputFormat;
import scala.Tuple2;

/**
 * The Spark-side contenders: each writes a DataFrame to a directory, or returns a DataFrame that
 * reads one back (lazily; the benchmark forces full decoding with the "noop" sink).
 */
public final class SparkContenders {
  /** Format name of SparkTF's own TFRecord source. */
  public static final String OURS_FORMAT = "tfrecord";

  private SparkContenders() {}

  /** Writes with SparkTF's source ({@code format("tfrecord")}, recordType Example). */
  public static void writeOurs(Dataset<Row> df, String path) {
    df.write().format(OURS_FORMAT).option("recordType", "Example").mode("overwrite").save(path);
  }

  /** Reads with SparkTF's source, schema given. */
  public static Dataset<Row> readOurs(SparkSession spark, StructType schema, String path) {
    return spark
        .read()
        .format(OURS_FORMAT)
        .option("recordType", "Example")
        .schema(schema)
        .load(path);
  }

  /** Naive write: protobuf builders, then tensorflow-hadoop's OutputFormat. */
  public static void writeNaive(Dataset<Row> df, String path) {
    ExampleCodec codec = new ExampleCodec(df.schema());
    df.javaRDD()
        .mapToPair(row -> new Tuple2<>(new BytesWritable(codec.encode(row)), NullWritable.get()))
        .saveAsNewAPIHadoopFile(
            path, BytesWritable.class, NullWritable.class, TFRecordFileOutputFormat.class);
  }

  /** Naive read: tensorflow-hadoop's InputFormat, {@code Example.parseFrom}, Row building. */
  public static Dataset<Row> readNaive(SparkSession spark, StructType schema, String path) {
    ExampleCodec codec = new ExampleCodec(schema);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Row> rows =
        jsc.newAPIHadoopFile(
                path,
                TFRecordFileInputFormat.class,
                BytesWritable.class,
                NullWritable.class,
                jsc.hadoopConfiguration())
            .map(pair -> codec.decode(pair._1().getBytes(), pair._1().getLength()));
    return spark.createDataFrame(rows, schema);
  }

  /** Writes Parquet (Spark's default snappy compression). */
  public static void writeParquet(Dataset<Row> df, String path) {
    df.write().mode("overwrite").parquet(path);
  }

  /** Reads Parquet, schema given. */
  public static Dataset<Row> readParquet(SparkSession spark, StructType schema, String path) {
    return spark.read().schema(schema).parquet(path);
  }

  /** Writes JSON lines (uncompressed). */
  public static void writeJson(Dataset<Row> df, String path) {
    df.write().mode("overwrite").json(path);
  }

  /** Reads JSON lines, schema given. */
  public static Dataset<Row> readJson(SparkSession spark, StructType schema, String path) {
    return spark.read().schema(schema).json(path);
  }

  /** Forces every column of every row to be decoded, discarding the result. */
  public static void materialise(Dataset<Row> df) {
    df.write().format("noop").mode("overwrite").save();
  }
}
