package org.sparktf.hadoop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.io.compress.GzipCodec;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;
import org.tensorflow.hadoop.io.TFRecordFileInputFormat;
import org.tensorflow.hadoop.io.TFRecordFileOutputFormat;
import scala.Tuple2;

/** The Hadoop formats through Spark's RDD API, and interop with tensorflow-hadoop's formats. */
class TFRecordInputOutputFormatTest {
  static SparkSession spark;
  static JavaSparkContext jsc;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static JavaPairRDD<BytesWritable, NullWritable> records(int n) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(i);
    }
    return jsc.parallelize(ids, 3)
        .mapToPair(
            i ->
                new Tuple2<>(
                    new BytesWritable(
                        ("record-" + i + "-" + "x".repeat(i % 97))
                            .getBytes(StandardCharsets.UTF_8)),
                    NullWritable.get()));
  }

  private static List<String> read(
      Class<? extends org.apache.hadoop.mapreduce.InputFormat<BytesWritable, NullWritable>> format,
      String path,
      Configuration conf) {
    return jsc
        .newAPIHadoopFile(path, format, BytesWritable.class, NullWritable.class, conf)
        .map(kv -> new String(kv._1().copyBytes(), StandardCharsets.UTF_8))
        .collect()
        .stream()
        .sorted()
        .collect(Collectors.toList());
  }

  private static List<String> expected(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("record-" + i + "-" + "x".repeat(i % 97));
    }
    return out.stream().sorted().collect(Collectors.toList());
  }

  @Test
  void splitsEveryRecordExactlyOnce() {
    String out = tmp.resolve("ours").toString();
    records(5000)
        .coalesce(1)
        .saveAsNewAPIHadoopFile(
            out,
            BytesWritable.class,
            NullWritable.class,
            TFRecordOutputFormat.class,
            new Configuration());
    Configuration conf = new Configuration();
    conf.setLong("mapreduce.input.fileinputformat.split.maxsize", 20_000);
    JavaPairRDD<BytesWritable, NullWritable> rdd =
        jsc.newAPIHadoopFile(
            out, TFRecordInputFormat.class, BytesWritable.class, NullWritable.class, conf);
    assertThat(rdd.getNumPartitions()).isGreaterThan(10);
    assertThat(read(TFRecordInputFormat.class, out, conf)).isEqualTo(expected(5000));
  }

  @Test
  void compressedOutputHasTheExtensionAndReadsBack() throws Exception {
    String out = tmp.resolve("gz").toString();
    Configuration conf = new Configuration();
    conf.setBoolean("mapreduce.output.fileoutputformat.compress", true);
    conf.setClass(
        "mapreduce.output.fileoutputformat.compress.codec",
        GzipCodec.class,
        org.apache.hadoop.io.compress.CompressionCodec.class);
    records(300)
        .saveAsNewAPIHadoopFile(
            out, BytesWritable.class, NullWritable.class, TFRecordOutputFormat.class, conf);
    try (Stream<Path> files = Files.list(Path.of(out))) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("part")))
          .isNotEmpty()
          .allMatch(n -> n.endsWith(".tfrecord.gz"));
    }
    assertThat(read(TFRecordInputFormat.class, out, new Configuration())).isEqualTo(expected(300));
    // tensorflow-hadoop picks the codec from the extension too.
    assertThat(read(TFRecordFileInputFormat.class, out, new Configuration()))
        .isEqualTo(expected(300));
  }

  @Test
  void interoperatesWithTensorflowHadoopBothWays() {
    String theirs = tmp.resolve("theirs").toString();
    records(400)
        .saveAsNewAPIHadoopFile(
            theirs,
            BytesWritable.class,
            NullWritable.class,
            TFRecordFileOutputFormat.class,
            new Configuration());
    assertThat(read(TFRecordInputFormat.class, theirs, new Configuration()))
        .isEqualTo(expected(400));

    String ours = tmp.resolve("ours2").toString();
    records(400)
        .saveAsNewAPIHadoopFile(
            ours,
            BytesWritable.class,
            NullWritable.class,
            TFRecordOutputFormat.class,
            new Configuration());
    assertThat(read(TFRecordFileInputFormat.class, ours, new Configuration()))
        .isEqualTo(expected(400));
  }

  @Test
  void framesAreByteIdenticalToTensorflowHadoop() throws Exception {
    ByteArrayOutputStream ours = new ByteArrayOutputStream();
    ByteArrayOutputStream theirs = new ByteArrayOutputStream();
    org.tensorflow.hadoop.util.TFRecordWriter reference =
        new org.tensorflow.hadoop.util.TFRecordWriter(new java.io.DataOutputStream(theirs));
    try (TFRecordFrameWriter writer = new TFRecordFrameWriter(ours)) {
      for (String r : expected(200)) {
        byte[] bytes = r.getBytes(StandardCharsets.UTF_8);
        writer.write(bytes, 0, bytes.length);
        reference.write(bytes);
      }
      writer.write(new byte[0], 0, 0);
      reference.write(new byte[0]);
    }
    assertThat(ours.toByteArray()).isEqualTo(theirs.toByteArray());
  }
}
