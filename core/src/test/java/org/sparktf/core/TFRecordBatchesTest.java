package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordCorruptException;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;
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
    readInto(batches, records);
    return records;
  }

  /** Adds every batch's records until the end; the batches before a failure stay added. */
  private static void readInto(TFRecordBatches batches, List<byte[]> records) {
    while (true) {
      try (TString batch = batches.next(300)) {
        if (batch.shape().size(0) == 0) {
          return;
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
  void batchesRunOnAcrossFilesSoOnlyTheLastIsShort() {
    Configuration conf = new Configuration();
    // Five files of 400 records, listed twice as a TENSORFLOW-mode worker lists its epochs.
    List<String> files =
        TFRecordBatches.shard(conf, data.resolve("plain").toUri().toString(), 0, 1);
    List<String> twice = new ArrayList<>(files);
    twice.addAll(files);
    for (boolean nativeReader : List.of(true, false)) {
      List<Long> sizes = new ArrayList<>();
      try (TFRecordBatches reader =
          nativeReader ? TFRecordBatches.open(null, twice) : TFRecordBatches.jvm(conf, twice)) {
        while (true) {
          try (TString batch = reader.next(300)) {
            if (batch.shape().size(0) == 0) {
              break;
            }
            sizes.add(batch.shape().size(0));
          }
        }
      }
      // 4,000 records: 13 full batches and one of 100, not a short batch at every file's end.
      assertThat(sizes).as(nativeReader ? "native reader" : "JVM reader").hasSize(14);
      assertThat(sizes.subList(0, 13)).allMatch(n -> n == 300);
      assertThat(sizes.get(13)).isEqualTo(100);
    }
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

  /** Frames of Examples with ids [0, n), then {@code tail}, gzip-compressed. */
  private static byte[] gzipFrames(int n, byte[] tail) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gzip = TFRecordCompression.GZIP.compress(out)) {
      TFRecordFrameWriter writer = new TFRecordFrameWriter(gzip);
      for (int id = 0; id < n; id++) {
        byte[] record = example(id);
        writer.write(record, 0, record.length);
      }
      writer.flush();
      gzip.write(tail);
    }
    return out.toByteArray();
  }

  private static byte[] example(long id) {
    return Example.newBuilder()
        .setFeatures(
            Features.newBuilder()
                .putFeature(
                    "id",
                    Feature.newBuilder()
                        .setInt64List(Int64List.newBuilder().addValue(id).build())
                        .build()))
        .build()
        .toByteArray();
  }

  /** A frame header declaring {@code length} bytes with a valid (masked CRC32C) length CRC. */
  private static byte[] headerOnly(long length) {
    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
    CRC32C crc = new CRC32C();
    crc.update(header.array(), 0, 8);
    int raw = (int) crc.getValue();
    return header.putInt(((raw >>> 15) | (raw << 17)) + 0xa282ead8).array();
  }

  @Test
  void aCompressedHeaderWithAHugeLengthFailsTheJvmReaderWithoutAllocatingIt() throws Exception {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Configuration conf = new Configuration();
    long intactFrames = 3L * (16 + example(0).length);
    for (long length : List.of(100L << 20, (1L << 31) - 17)) {
      Path file = data.resolve("huge-" + length + ".gz");
      Files.write(file, gzipFrames(3, headerOnly(length)));
      // The first read also pays for one-time setup (file system, classes): measure the second.
      for (int round = 0; round < 2; round++) {
        long before = threads.getCurrentThreadAllocatedBytes();
        try (TFRecordBatches reader = TFRecordBatches.jvm(conf, List.of(file.toUri().toString()))) {
          assertThatThrownBy(() -> reader.next(10))
              .isInstanceOf(UncheckedIOException.class)
              .hasMessageContaining("Cannot read TFRecords")
              .hasMessageContaining(file.getFileName().toString())
              .hasMessageContaining("the file ends in the middle of a record")
              .hasMessageContaining("byte offset " + intactFrames)
              .cause()
              .isInstanceOf(TFRecordCorruptException.class);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        if (round == 1) {
          assertThat(allocated)
              .as("bytes allocated reading a header of %s bytes", length)
              .isLessThan(4L << 20);
        }
      }
    }
  }

  @Test
  void aGzipFileCutInHalfGivesItsIntactBatchesThenNamesTheFileAndOffset() throws Exception {
    byte[] whole = gzipFrames(3000, new byte[0]);
    Path file = data.resolve("cut.gz");
    Files.write(file, Arrays.copyOf(whole, whole.length / 2));
    List<byte[]> records = new ArrayList<>();
    Throwable error;
    try (TFRecordBatches reader =
        TFRecordBatches.jvm(new Configuration(), List.of(file.toUri().toString()))) {
      error = catchThrowable(() -> readInto(reader, records));
    }
    assertThat(error)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(file.getFileName().toString())
        .hasMessageContaining("the file ends in the middle of a record")
        .hasMessageContaining("byte offset")
        .cause()
        .isInstanceOf(TFRecordCorruptException.class);
    // readAll fails on the batch holding the damage; the whole batches before it came through.
    assertThat(records).hasSizeGreaterThanOrEqualTo(900);
    for (int i = 0; i < records.size(); i++) {
      assertThat(records.get(i)).isEqualTo(example(i));
    }
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
