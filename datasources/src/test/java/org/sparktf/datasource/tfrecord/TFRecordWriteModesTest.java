package org.sparktf.datasource.tfrecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save modes, partitioning, compression, atomic commit, empty input and option errors. */
class TFRecordWriteModesTest extends SparkSessionTestBase {
  @TempDir Path tmp;

  private Dataset<Row> numbers(long n) {
    return spark.range(n).withColumn("label", functions.col("id").mod(3));
  }

  private long count(String path) {
    return spark.read().format("tfrecord").load(path).count();
  }

  @Test
  void everySaveModeBehaves() {
    String out = tmp.resolve("modes").toString();
    numbers(10).write().format("tfrecord").save(out);
    assertThatThrownBy(() -> numbers(10).write().format("tfrecord").save(out))
        .hasMessageContaining("already exists");

    numbers(5).write().format("tfrecord").mode(SaveMode.Append).save(out);
    assertThat(count(out)).isEqualTo(15);

    numbers(4).write().format("tfrecord").mode(SaveMode.Overwrite).save(out);
    assertThat(count(out)).isEqualTo(4);

    numbers(99).write().format("tfrecord").mode(SaveMode.Ignore).save(out);
    assertThat(count(out)).isEqualTo(4);
  }

  @Test
  void partitionByWritesDirectoriesAndReadDiscoversThem() throws Exception {
    String out = tmp.resolve("parts").toString();
    numbers(30).write().format("tfrecord").partitionBy("label").save(out);

    assertThat(Files.isDirectory(Path.of(out, "label=0"))).isTrue();
    assertThat(dataFiles(Path.of(out)))
        .allSatisfy(p -> assertThat(p.getFileName().toString()).matches("part-.*\\.tfrecord"));
    Dataset<Row> back = spark.read().format("tfrecord").load(out);
    assertThat(back.schema().fieldNames()).containsExactlyInAnyOrder("id", "label");
    assertThat(back.where("label = 2").count()).isEqualTo(10);
    assertThat(back.where("label = 2").agg(functions.sum("id")).first().getLong(0))
        .isEqualTo(2 + 5 + 8 + 11 + 14 + 17 + 20 + 23 + 26 + 29);
  }

  @Test
  void dynamicPartitionOverwriteReplacesOnlyWrittenPartitions() {
    String out = tmp.resolve("dyn").toString();
    numbers(30).write().format("tfrecord").partitionBy("label").save(out);

    numbers(3)
        .where("label = 1")
        .write()
        .format("tfrecord")
        .mode(SaveMode.Overwrite)
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy("label")
        .save(out);

    Dataset<Row> back = spark.read().format("tfrecord").load(out);
    assertThat(back.where("label = 1").count()).isEqualTo(1);
    assertThat(back.where("label = 0").count()).isEqualTo(10);
    assertThat(back.where("label = 2").count()).isEqualTo(10);
  }

  @Test
  void gzipAndZlibRoundTripAndAreDetectedByExtension() throws Exception {
    for (String codec : List.of("gzip", "zlib")) {
      String out = tmp.resolve(codec).toString();
      numbers(100).write().format("tfrecord").option("compression", codec).save(out);
      String ext = codec.equals("gzip") ? ".tfrecord.gz" : ".tfrecord.zlib";
      assertThat(dataFiles(Path.of(out)))
          .isNotEmpty()
          .allSatisfy(p -> assertThat(p.getFileName().toString()).endsWith(ext));
      assertThat(
              spark.read().format("tfrecord").load(out).agg(functions.sum("id")).first().getLong(0))
          .isEqualTo(4950);
    }
  }

  @Test
  void hadoopCodecOptionIsAccepted() throws Exception {
    String out = tmp.resolve("codec").toString();
    numbers(20)
        .write()
        .format("tfrecord")
        .option("codec", "org.apache.hadoop.io.compress.GzipCodec")
        .save(out);
    assertThat(dataFiles(Path.of(out)))
        .allSatisfy(p -> assertThat(p.toString()).endsWith(".tfrecord.gz"));
    assertThat(count(out)).isEqualTo(20);
  }

  @Test
  void compressionOptionReadsFilesWithoutExtension() throws Exception {
    Path out = tmp.resolve("noext");
    numbers(50)
        .coalesce(1)
        .write()
        .format("tfrecord")
        .option("compression", "zlib")
        .save(out.toString());
    Path file = dataFiles(out).get(0);
    Files.move(file, out.resolve("data"));

    Dataset<Row> back =
        spark.read().format("tfrecord").option("compression", "zlib").load(out.toString());
    assertThat(back.count()).isEqualTo(50);
    assertThatThrownBy(() -> spark.read().format("tfrecord").load(out.toString()).count())
        .hasStackTraceContaining("Cannot read TFRecord file");
  }

  @Test
  void emptyPartitionsAndEmptyFilesRead() throws Exception {
    String out = tmp.resolve("empty").toString();
    numbers(3).repartition(6).write().format("tfrecord").save(out);
    Files.createFile(Path.of(out, "part-empty.tfrecord"));
    Dataset<Row> back = spark.read().format("tfrecord").load(out);
    assertThat(back.count()).isEqualTo(3);
    assertThat(
            back.select("id").collectAsList().stream()
                .map(r -> r.getLong(0))
                .collect(Collectors.toList()))
        .containsExactlyInAnyOrder(0L, 1L, 2L);
  }

  @Test
  void failedJobLeavesNoPartialOutput() throws Exception {
    Path out = tmp.resolve("failed");
    spark
        .udf()
        .register(
            "boom",
            (Long id) -> {
              if (id == 77) {
                throw new IllegalStateException("boom at 77");
              }
              return id;
            },
            DataTypes.LongType);
    Dataset<Row> df = spark.range(100).repartition(4).selectExpr("boom(id) AS id");
    assertThatThrownBy(() -> df.write().format("tfrecord").save(out.toString()))
        .hasStackTraceContaining("boom at 77");
    assertThat(Files.exists(out) ? dataFiles(out) : List.of()).isEmpty();
  }

  @Test
  void invalidOptionsFailAtPlanningWithTheAcceptedValues() {
    String out = tmp.resolve("opts").toString();
    assertThatThrownBy(
            () -> numbers(3).write().format("tfrecord").option("recordType", "Proto").save(out))
        .hasMessageContaining("Invalid recordType: 'Proto'")
        .hasMessageContaining("Example, SequenceExample, ByteArray");
    assertThatThrownBy(
            () -> numbers(3).write().format("tfrecord").option("compression", "lz4").save(out))
        .hasMessageContaining("Invalid compression: 'lz4'");
    numbers(3).write().format("tfrecord").save(out);
    assertThatThrownBy(() -> spark.read().format("tfrecord").option("mode", "lenient").load(out))
        .hasMessageContaining("Invalid mode: 'lenient'");
    assertThatThrownBy(() -> spark.read().format("tfrecord").option("samplingRatio", "0").load(out))
        .hasMessageContaining("Invalid samplingRatio: '0'");
  }
}
