package org.sparktf.datasource.tfrecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Split reading, corrupt records in every mode, pruning, inference and both read paths. */
class TFRecordReadTest extends SparkSessionTestBase {
  @TempDir Path tmp;

  /** One uncompressed file of n records with a payload column of varying length. */
  private Path oneFile(String name, long n) throws Exception {
    Path out = tmp.resolve(name);
    spark
        .range(n)
        .coalesce(1)
        .selectExpr("id", "repeat('x', CAST(id % 50 AS INT)) AS payload")
        .write()
        .format("tfrecord")
        .save(out.toString());
    return out;
  }

  @Test
  void readPathFollowsTheDirectRowsOption() throws Exception {
    Path out = oneFile("path", 3);
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dataFiles(out).get(0).toUri());
    TFRecordOptions options =
        new TFRecordOptions(
            java.util.Map.of(TFRecordOptions.DIRECT_ROWS, String.valueOf(directRows())),
            "_corrupt_record");
    StructType schema =
        new StructType().add("id", DataTypes.LongType).add("payload", DataTypes.StringType);
    try (var reader =
        new org.sparktf.datasource.tfrecord.internal.TFRecordRowReader(
            new org.apache.hadoop.conf.Configuration(), file, 0, Long.MAX_VALUE, schema, options)) {
      assertThat(reader.writesDirectly()).isEqualTo(directRows());
      List<String> rows = new java.util.ArrayList<>();
      while (reader.next()) {
        rows.add(reader.get().getLong(0) + ":" + reader.get().getUTF8String(1));
      }
      assertThat(rows).containsExactlyInAnyOrder("0:", "1:x", "2:xx");
    }
  }

  @Test
  void largeFileIsSplitAndEveryRecordReadExactlyOnce() throws Exception {
    Path out = oneFile("split", 20_000);
    long size = Files.size(dataFiles(out).get(0));
    String old = spark.conf().get("spark.sql.files.maxPartitionBytes");
    spark.conf().set("spark.sql.files.maxPartitionBytes", String.valueOf(size / 7));
    try {
      Dataset<Row> df = tfrecord().load(out.toString());
      assertThat(df.rdd().getNumPartitions()).isGreaterThanOrEqualTo(7);
      List<Long> ids =
          df.select("id").collectAsList().stream()
              .map(r -> r.getLong(0))
              .sorted()
              .collect(Collectors.toList());
      assertThat(ids).hasSize(20_000);
      for (int i = 0; i < ids.size(); i++) {
        assertThat(ids.get(i)).isEqualTo((long) i);
      }
      assertThat(df.count()).isEqualTo(20_000);
    } finally {
      spark.conf().set("spark.sql.files.maxPartitionBytes", old);
    }
  }

  /** Flips one byte of a record's payload in the middle of the file. */
  private Path corrupted(
      String name, int records, java.util.function.Function<byte[], byte[]> damage)
      throws Exception {
    Path out = oneFile(name, records);
    Path file = dataFiles(out).get(0);
    Files.write(file, damage.apply(Files.readAllBytes(file)));
    // Hadoop's local file system keeps its own checksum beside the file; drop it so that the
    // damage reaches the TFRecord reader, as it would for a file damaged before it was uploaded.
    Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
    return out;
  }

  @Test
  void badDataCrcInEachMode() throws Exception {
    Path out =
        corrupted(
            "crc",
            100,
            bytes -> {
              bytes[bytes.length / 2] ^= 0x5A;
              return bytes;
            });
    assertThatThrownBy(() -> tfrecord().load(out.toString()).collect())
        .hasStackTraceContaining("Cannot read TFRecord file")
        .hasStackTraceContaining("byte offset");

    Dataset<Row> dropped = tfrecord().option("mode", "DROPMALFORMED").load(out.toString());
    assertThat(dropped.count()).isEqualTo(99);

    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("payload", DataTypes.StringType)
            .add("_corrupt_record", DataTypes.StringType);
    Dataset<Row> permissive =
        tfrecord().option("mode", "PERMISSIVE").schema(schema).load(out.toString()).cache();
    assertThat(permissive.count()).isEqualTo(100);
    List<Row> bad = permissive.where("_corrupt_record IS NOT NULL").collectAsList();
    assertThat(bad).hasSize(1);
    assertThat(bad.get(0).isNullAt(0)).isTrue();
    assertThat(bad.get(0).getString(2)).contains("byte offset");
    permissive.unpersist();
  }

  @Test
  void localFilesAreCheckedByTheirRecordCrcsNotHadoopChecksumFiles() throws Exception {
    Path out = oneFile("stalecrc", 100);
    Path file = dataFiles(out).get(0);
    assertThat(file.resolveSibling("." + file.getFileName() + ".crc")).exists();
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5A;
    // Damage behind the back of Hadoop's local file system: its ".crc" file is now stale.
    Files.write(file, bytes);

    // The record CRCs find it, as TFRecord damage with file and offset; the rest still reads.
    Throwable failed = catchThrowable(() -> tfrecord().load(out.toString()).collect());
    assertThat(stackTrace(failed))
        .contains("Cannot read TFRecord file", "byte offset")
        .doesNotContain("ChecksumException");
    assertThat(tfrecord().option("mode", "DROPMALFORMED").load(out.toString()).count())
        .isEqualTo(99);

    // With the record CRCs off, Hadoop's checksum files still guard the bytes.
    Throwable unchecked =
        catchThrowable(
            () -> tfrecord().option("verifyCrc", "false").load(out.toString()).collect());
    assertThat(stackTrace(unchecked)).contains("ChecksumException");
  }

  private static String stackTrace(Throwable t) {
    assertThat(t).isNotNull();
    java.io.StringWriter out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }

  @Test
  void countVerifiesCrcsUnlessTurnedOff() throws Exception {
    Path out =
        corrupted(
            "nocrc",
            100,
            bytes -> {
              bytes[bytes.length - 10] ^= 0x01;
              return bytes;
            });
    assertThatThrownBy(() -> tfrecord().load(out.toString()).count())
        .hasStackTraceContaining("Cannot read TFRecord file");
    assertThat(tfrecord().option("verifyCrc", "false").load(out.toString()).count()).isEqualTo(100);
  }

  @Test
  void countDoesNotParseRecords() {
    Path out = tmp.resolve("garbage");
    // Records that are not Examples at all: count() must not need to parse them.
    spark
        .sql("SELECT unhex('FFFFFFFF0A') AS value FROM range(30)")
        .write()
        .format("tfrecord")
        .option("recordType", "ByteArray")
        .save(out.toString());
    Dataset<Row> asExamples =
        tfrecord().schema(new StructType().add("x", DataTypes.LongType)).load(out.toString());
    assertThat(asExamples.count()).isEqualTo(30);
    assertThatThrownBy(asExamples::collectAsList).hasStackTraceContaining("Cannot read TFRecord");
  }

  @Test
  void truncatedFileInEachMode() throws Exception {
    Path out = corrupted("trunc", 100, bytes -> Arrays.copyOf(bytes, bytes.length - 5));
    assertThatThrownBy(() -> tfrecord().load(out.toString()).collect())
        .hasStackTraceContaining("Cannot read TFRecord file");
    assertThat(tfrecord().option("mode", "DROPMALFORMED").load(out.toString()).count())
        .isEqualTo(99);
  }

  @Test
  void onlyRequestedColumnsAreDecoded() throws Exception {
    Path out = oneFile("prune", 10);
    // payload is a bytes feature; declaring it as long would fail if it were decoded.
    StructType wrong =
        new StructType().add("id", DataTypes.LongType).add("payload", DataTypes.LongType);
    Dataset<Row> df = tfrecord().schema(wrong).load(out.toString());
    assertThat(df.select("id").agg(functions.sum("id")).first().getLong(0)).isEqualTo(45);
    assertThatThrownBy(() -> df.select("payload").collect()).hasStackTraceContaining("payload");
  }

  @Test
  void inferenceMergesFilesSortsColumnsAndKeepsBinary() throws Exception {
    Path out = tmp.resolve("infer");
    spark
        .sql("SELECT 1L AS b, 'x' AS a")
        .write()
        .format("tfrecord")
        .save(out.resolve("one").toString());
    spark
        .sql("SELECT array(1.5f, 2.5f) AS c, unhex('FF00') AS raw")
        .write()
        .format("tfrecord")
        .save(out.resolve("two").toString());

    Dataset<Row> df = tfrecord().load(out.resolve("one").toString(), out.resolve("two").toString());
    assertThat(df.schema().fieldNames()).containsExactly("a", "b", "c", "raw");
    assertThat(df.schema().apply("c").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(df.schema().apply("raw").dataType()).isEqualTo(DataTypes.BinaryType);
    assertThat(df.count()).isEqualTo(2);
  }

  @Test
  void contradictoryKindsGiveAClearError() {
    Path out = tmp.resolve("conflict");
    spark.sql("SELECT 1L AS x").write().format("tfrecord").save(out.resolve("a").toString());
    spark.sql("SELECT 'one' AS x").write().format("tfrecord").save(out.resolve("b").toString());
    assertThatThrownBy(
            () -> tfrecord().load(out.resolve("a").toString(), out.resolve("b").toString()))
        .hasStackTraceContaining("Cannot infer schema")
        .hasStackTraceContaining("'x'");
  }

  @Test
  void v1AndV2ReadPathsAgree() throws Exception {
    Path out = tmp.resolve("paths");
    spark
        .range(40)
        .selectExpr("id", "id % 4 AS part", "CAST(id AS STRING) AS s")
        .write()
        .format("tfrecord")
        .partitionBy("part")
        .save(out.toString());
    Dataset<Row> v2df = tfrecord().load(out.toString());
    assertThat(v2df.queryExecution().executedPlan().toString()).contains("BatchScan");
    String v2 = rows(v2df);
    String key = "spark.sql.sources.useV1SourceList";
    String old = spark.conf().get(key);
    spark.conf().set(key, old + ",tfrecord");
    try {
      Dataset<Row> v1df = tfrecord().load(out.toString());
      assertThat(v1df.queryExecution().executedPlan().toString()).contains("FileScan tfrecord");
      assertThat(rows(v1df)).isEqualTo(v2);
      assertThat(v1df.count()).isEqualTo(40);
    } finally {
      spark.conf().set(key, old);
    }
  }

  private static String rows(Dataset<Row> df) {
    return df.select("id", "part", "s").orderBy("id").collectAsList().toString();
  }

  @Test
  void streamingSinkAndSourceWork() throws Exception {
    Path in = tmp.resolve("stream-in");
    Path out = tmp.resolve("stream-out");
    spark.range(25).write().format("tfrecord").save(in.toString());
    StructType schema = new StructType().add("id", DataTypes.LongType);
    var query =
        spark
            .readStream()
            .format("tfrecord")
            .schema(schema)
            .load(in.toString())
            .writeStream()
            .format("tfrecord")
            .option("checkpointLocation", tmp.resolve("ckpt").toString())
            .trigger(org.apache.spark.sql.streaming.Trigger.AvailableNow())
            .start(out.toString());
    assertThat(query.awaitTermination(120_000)).isTrue();
    assertThat(tfrecord().schema(schema).load(out.toString()).count()).isEqualTo(25);
  }
}
