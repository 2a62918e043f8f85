package org.sparktf.datasource.tfrecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.datasource.tfrecord.HostileTFRecords.Hostile;
import org.sparktf.hadoop.TFRecordInputFormat;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordCorruptException;
import org.sparktf.tfrecord.io.TFRecordFrameReader;
import org.tensorflow.proto.Example;

/**
 * Hostile files (a compressed header declaring a huge length, a protobuf length that overflows, a
 * compressed stream cut short or with a damaged trailer) give errors that name the file and offset,
 * or counted drops, in every mode, in schema inference and in the InputFormat: never an
 * OutOfMemoryError or an ArrayIndexOutOfBoundsException.
 */
class HostileTFRecordTest extends SparkSessionTestBase {
  private static final long HUGE = 100L << 20;
  private static final long LARGEST = (1L << 31) - 17;

  /** A few MiB (about 0.5 MiB measured): streams and buffers, never the declared length. */
  private static final long ALLOCATION_BOUND = 4L << 20;

  @TempDir static Path dir;
  static List<Hostile> hostile;

  @BeforeAll
  static void writeFiles() throws IOException {
    hostile =
        List.of(
            HostileTFRecords.hugeLength(dir, "huge.gz", HUGE, TFRecordCompression.GZIP),
            HostileTFRecords.hugeLength(dir, "largest.gz", LARGEST, TFRecordCompression.GZIP),
            HostileTFRecords.hugeLength(dir, "huge.zlib", HUGE, TFRecordCompression.ZLIB),
            HostileTFRecords.varintOverflow(dir),
            HostileTFRecords.cutInHalf(dir, "cut.gz", 2000, TFRecordCompression.GZIP),
            HostileTFRecords.cutInHalf(dir, "cut.zlib", 2000, TFRecordCompression.ZLIB),
            HostileTFRecords.badGzipTrailer(dir, 50));
    for (Hostile h : hostile) {
      // The cut files must really lose records, and keep some.
      assertThat(h.intactIds).as("%s", h).isNotEmpty().hasSizeLessThan(2000);
    }
  }

  private static final StructType SCHEMA =
      new StructType().add("id", DataTypes.LongType).add("payload", DataTypes.StringType);

  private DataFrameReader read(String mode) {
    return tfrecord().option("mode", mode);
  }

  private static List<Long> sortedIds(List<Row> rows) {
    return rows.stream().map(r -> r.getLong(0)).sorted().collect(Collectors.toList());
  }

  private static String where(Hostile h) {
    return "byte offset " + h.damageOffset;
  }

  @Test
  void failFastNamesTheFileAndTheOffset() {
    for (Hostile h : hostile) {
      Throwable error =
          catchThrowable(() -> read("FAILFAST").schema(SCHEMA).load(h.file.toString()).collect());
      assertThat(error)
          .as("%s", h)
          .isNotNull()
          .hasStackTraceContaining("Cannot read TFRecord file")
          .hasStackTraceContaining(h.file.getFileName().toString())
          .hasStackTraceContaining(where(h));
      assertNoFatalError(error);
      assertThat(error).hasStackTraceContaining(damageText(h));
    }
  }

  /** Every hostile file in one read (one Spark job): the rows of each, by file name. */
  private Map<String, List<Row>> rowsByFile(String mode, StructType schema) {
    String[] paths = hostile.stream().map(h -> h.file.toString()).toArray(String[]::new);
    List<Row> rows =
        read(mode)
            .schema(schema)
            .load(paths)
            .withColumn("file", functions.input_file_name())
            .collectAsList();
    Map<String, List<Row>> byFile = new HashMap<>();
    for (Row r : rows) {
      String file = r.getString(r.fieldIndex("file"));
      byFile
          .computeIfAbsent(file.substring(file.lastIndexOf('/') + 1), f -> new ArrayList<>())
          .add(r);
    }
    return byFile;
  }

  @Test
  void dropMalformedKeepsEveryIntactRecord() {
    Map<String, List<Row>> byFile = rowsByFile("DROPMALFORMED", SCHEMA);
    long frames = 0;
    for (Hostile h : hostile) {
      List<Row> rows = byFile.getOrDefault(h.file.getFileName().toString(), List.of());
      assertThat(sortedIds(rows)).as("%s", h).isEqualTo(h.intactIds);
      // count() takes the frame-only path: a frame that does not parse still counts.
      frames += h.isFrameDamage() ? h.intactIds.size() : h.intactIds.size() + 1;
    }
    String[] paths = hostile.stream().map(h -> h.file.toString()).toArray(String[]::new);
    assertThat(read("DROPMALFORMED").schema(SCHEMA).load(paths).count()).isEqualTo(frames);
  }

  @Test
  void permissivePutsTheDamageInTheCorruptRecordColumn() {
    Map<String, List<Row>> byFile =
        rowsByFile("PERMISSIVE", SCHEMA.add("_corrupt_record", DataTypes.StringType));
    for (Hostile h : hostile) {
      List<Row> intact = new ArrayList<>();
      List<String> corrupt = new ArrayList<>();
      for (Row r : byFile.get(h.file.getFileName().toString())) {
        if (r.isNullAt(2)) {
          intact.add(r);
        } else {
          assertThat(r.isNullAt(0)).isTrue();
          corrupt.add(r.getString(2));
        }
      }
      assertThat(sortedIds(intact)).as("%s", h).isEqualTo(h.intactIds);
      assertThat(corrupt).as("%s", h).hasSize(1);
      assertThat(corrupt.get(0))
          .contains(h.file.getFileName().toString())
          .contains(where(h))
          .contains(damageText(h));
    }
  }

  @Test
  void inferenceFailsClearlyOrSkipsTheDamage() {
    for (Hostile h : hostile) {
      Throwable failFast = catchThrowable(() -> read("FAILFAST").load(h.file.toString()));
      assertThat(failFast)
          .as("%s", h)
          .hasStackTraceContaining("Cannot infer schema")
          .hasStackTraceContaining(h.file.getFileName().toString())
          .hasStackTraceContaining(where(h))
          .hasStackTraceContaining(damageText(h));
      assertNoFatalError(failFast);
    }
    // Damaged frames are skipped: the intact records give the schema.
    String[] damagedFrames =
        hostile.stream()
            .filter(Hostile::isFrameDamage)
            .map(h -> h.file.toString())
            .toArray(String[]::new);
    assertThat(read("DROPMALFORMED").load(damagedFrames).schema().fieldNames())
        .containsExactly("id", "payload");
    // An intact frame that does not parse cannot be half-observed: a clear error in any mode.
    Hostile varint = hostile.stream().filter(h -> !h.isFrameDamage()).findFirst().get();
    assertThatThrownBy(() -> read("DROPMALFORMED").load(varint.file.toString()))
        .hasStackTraceContaining("Cannot infer schema")
        .hasStackTraceContaining(where(varint))
        .hasStackTraceContaining("pass an explicit schema");
  }

  @Test
  void inputFormatReadsTheIntactRecordsThenNamesTheDamage() throws Exception {
    for (Hostile h : hostile) {
      List<Long> ids = new ArrayList<>();
      Throwable error = catchThrowable(() -> readWithInputFormat(h.file, ids));
      if (h.isFrameDamage()) {
        assertThat(error).as("%s", h).isInstanceOf(TFRecordCorruptException.class);
        TFRecordCorruptException corrupt = (TFRecordCorruptException) error;
        assertThat(corrupt.kind()).isEqualTo(h.kind);
        assertThat(corrupt.offset()).isEqualTo(h.damageOffset);
        assertThat(corrupt.file()).endsWith(h.file.getFileName().toString());
        assertThat(ids).isEqualTo(h.intactIds);
      } else {
        // The InputFormat yields record bytes without parsing them: the frame is intact.
        assertThat(error).as("%s", h).isNull();
        assertThat(ids).containsExactly(0L, 1L, 2L, -1L, 3L, 4L, 5L);
      }
    }
  }

  @Test
  void aCompressedHugeLengthAllocatesOnlyWhatArrives() throws Exception {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (TFRecordCompression c : List.of(TFRecordCompression.GZIP, TFRecordCompression.ZLIB)) {
      for (long length : List.of(HUGE, LARGEST)) {
        Path file =
            HostileTFRecords.bareHugeLength(dir, "bare-" + length + c.extension(), length, c);
        assertThat(Files.size(file)).isLessThan(40);
        // The first read also pays for Hadoop's one-time file system setup: measure the second.
        readBareHeader(file, c);
        long before = threads.getCurrentThreadAllocatedBytes();
        readBareHeader(file, c);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("%s bytes declared, %s", length, c).isLessThan(ALLOCATION_BOUND);
      }
    }
  }

  private static void readBareHeader(Path file, TFRecordCompression c) throws IOException {
    try (TFRecordFrameReader frames =
        TFRecordFrameReader.open(
            new Configuration(),
            new org.apache.hadoop.fs.Path(file.toUri()),
            0,
            Long.MAX_VALUE,
            c,
            true)) {
      assertThatThrownBy(frames::next)
          .isInstanceOf(TFRecordCorruptException.class)
          .hasMessageContaining("the file ends in the middle of a record at byte offset 0");
      assertThat(frames.next()).isFalse();
    }
  }

  @Test
  void aSmallHeapReadsTheCraftedFilesInEveryMode() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx64m");
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(SmallHeapReader.class.getName());
    for (Hostile h : hostile.subList(0, 3)) {
      command.add(h.file.toString());
    }
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try {
      output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as(output).isZero();
    for (Hostile h : hostile.subList(0, 3)) {
      String name = h.file.getFileName().toString();
      assertThat(output)
          .contains(name + " DROPMALFORMED rows=3")
          .contains(name + " PERMISSIVE rows=4")
          .contains(name + " FAILFAST rows=3 error=" + h.kind + " offset=" + h.damageOffset);
    }
  }

  private static void readWithInputFormat(Path file, List<Long> ids) throws Exception {
    Configuration conf = new Configuration();
    TaskAttemptContextImpl context = new TaskAttemptContextImpl(conf, new TaskAttemptID());
    FileSplit split =
        new FileSplit(
            new org.apache.hadoop.fs.Path(file.toUri()), 0, Files.size(file), new String[0]);
    try (RecordReader<BytesWritable, NullWritable> reader =
        new TFRecordInputFormat().createRecordReader(split, context)) {
      reader.initialize(split, context);
      while (reader.nextKeyValue()) {
        ids.add(idOf(reader.getCurrentKey().copyBytes()));
      }
    }
  }

  private static long idOf(byte[] record) {
    try {
      return Example.parseFrom(record)
          .getFeatures()
          .getFeatureOrThrow("id")
          .getInt64List()
          .getValue(0);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return -1;
    }
  }

  /** What the error says about the damage. */
  private static String damageText(Hostile h) {
    if (!h.isFrameDamage()) {
      return "a field of length 2147483647 runs past the end of the record";
    }
    return h.kind == TFRecordCorruptException.Kind.TRUNCATED
        ? "the file ends in the middle of a record"
        : "the compressed data is damaged (Corrupt GZIP trailer)";
  }

  private static void assertNoFatalError(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      assertThat(t).isNotInstanceOf(OutOfMemoryError.class);
      assertThat(t).isNotInstanceOf(IndexOutOfBoundsException.class);
    }
  }
}
