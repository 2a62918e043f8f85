package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Example;
import org.tensorflow.types.TString;

class TFRecordBatchesTest {
  private static final int ROWS = 2000;
  private static final long ID_SUM = (long) ROWS * (ROWS - 1) / 2;
  private static SparkSession spark;

  @TempDir static Path data;

  @BeforeAll
  static void writeData() {
    spark = TestSpark.local("TFRecordBatchesTest", 2);
    spark
        .range(0, ROWS, 1, 5)
        .selectExpr("id", "array(CAST(id AS FLOAT), 1.0f) AS x")
        .write()
        .format("tfrecord")
        .save(data.resolve("plain").toString());
    spark
        .range(0, ROWS, 1, 3)
        .selectExpr("id")
        .write()
        .format("tfrecord")
        .option("compression", "gzip")
        .save(data.resolve("gzip").toString());
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private static List<byte[]> readAll(TFRecordBatches batches) {
    List<byte[]> records = new ArrayList<>();
    while (true) {
      try (TString batch = batches.next(300)) {
        if (batch.shape().size(0) == 0) {
          return records;
        }
        assertThat(batch.shape().size(0)).isLessThanOrEqualTo(300);
        batch.asBytes().scalars().forEach(s -> records.add(s.getObject()));
      }
    }
  }

  private static long idSum(List<byte[]> records) throws Exception {
    long sum = 0;
    for (byte[] record : records) {
      sum +=
          Example.parseFrom(record)
              .getFeatures()
              .getFeatureOrThrow("id")
              .getInt64List()
              .getValue(0);
    }
    return sum;
  }

  @Test
  void shardsSplitTheFilesBetweenWorkersWithoutOverlap() {
    Configuration conf = new Configuration();
    String dir = data.resolve("plain").toUri().toString();
    List<String> first = TFRecordBatches.shard(conf, dir, 0, 2);
    List<String> second = TFRecordBatches.shard(conf, dir, 1, 2);
    assertThat(first).hasSize(3);
    assertThat(second).hasSize(2).doesNotContainAnyElementsOf(first);
    assertThat(first).allMatch(f -> !f.contains("_SUCCESS"));
  }

  @Test
  void fewerFilesThanWorkersAndEmptyFileListsAreRefusedWithTheCounts() {
    Configuration conf = new Configuration();
    String dir = data.resolve("plain").toUri().toString();
    assertThatThrownBy(() -> TFRecordBatches.shard(conf, dir, 5, 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot shard " + dir)
        .hasMessageContaining("5 data file(s) for 6 workers, so worker 5 would read nothing")
        .hasMessageContaining("repartition(6)");
    assertThatThrownBy(() -> TFRecordBatches.open(null, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot open TFRecords: the list of files is empty; give each worker at least one file");
  }

  @Test
  void nativeAndJvmReadersReturnTheSameRecords() throws Exception {
    Configuration conf = new Configuration();
    for (String name : List.of("plain", "gzip")) {
      List<String> files = TFRecordBatches.shard(conf, data.resolve(name).toUri().toString(), 0, 1);
      List<byte[]> nativeRecords;
      try (TFRecordBatches reader = TFRecordBatches.open(null, files)) {
        nativeRecords = readAll(reader);
      }
      List<byte[]> jvmRecords;
      try (TFRecordBatches reader = TFRecordBatches.jvm(conf, files)) {
        jvmRecords = readAll(reader);
      }
      assertThat(nativeRecords).hasSize(ROWS);
      assertThat(jvmRecords).hasSize(ROWS);
      for (int i = 0; i < ROWS; i++) {
        assertThat(jvmRecords.get(i)).isEqualTo(nativeRecords.get(i));
      }
      assertThat(idSum(jvmRecords)).isEqualTo(ID_SUM);
    }
  }

  @Test
  void tensorFlowModeWorkersReadTheirShardsOnce() throws Exception {
    Path out = data.resolve("model");
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(2)
            .inputMode(InputMode.TENSORFLOW)
            .modelDir(out.toUri().toString())
            .reservationTimeout(Duration.ofSeconds(60))
            .nodeJavaOptions("-Xmx256m")
            .run(new SumIds(data.resolve("plain").toUri().toString()))) {
      cluster.shutdown();
    }
    long total = 0;
    for (int w = 0; w < 2; w++) {
      total += Long.parseLong(Files.readString(out.resolve("sum-" + w + ".txt")));
    }
    assertThat(total).isEqualTo(ID_SUM);
  }

  static final class SumIds implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final String dir;

    SumIds(String dir) {
      this.dir = dir;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      long sum;
      try (TFRecordBatches batches = TFRecordBatches.open(ctx, TFRecordBatches.shard(ctx, dir))) {
        sum = idSum(readAll(batches));
      }
      LinearRegressionNode.write(ctx, "sum-" + ctx.taskIndex() + ".txt", Long.toString(sum));
    }
  }
}
