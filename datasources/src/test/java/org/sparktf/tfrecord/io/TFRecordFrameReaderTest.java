package org.sparktf.tfrecord.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.tfrecord.io.TFRecordCorruptException.Kind;

class TFRecordFrameReaderTest {
  @TempDir Path tmp;

  static List<byte[]> randomRecords(int n, int maxLength, long seed) {
    Random random = new Random(seed);
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] r = new byte[random.nextInt(maxLength + 1)];
      random.nextBytes(r);
      records.add(r);
    }
    return records;
  }

  static byte[] frames(List<byte[]> records, TFRecordCompression compression) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TFRecordFrameWriter writer = new TFRecordFrameWriter(compression.compress(bytes))) {
      for (byte[] r : records) {
        writer.write(r, 0, r.length);
      }
    }
    return bytes.toByteArray();
  }

  static List<byte[]> readAll(TFRecordFrameReader reader) throws Exception {
    List<byte[]> out = new ArrayList<>();
    try (reader) {
      while (reader.next()) {
        out.add(
            Arrays.copyOfRange(
                reader.data(), reader.dataOffset(), reader.dataOffset() + reader.length()));
      }
    }
    return out;
  }

  @Test
  void maskedCrcMatchesKnownValues() {
    // CRC32C("123456789") = 0xE3069283, the standard check value.
    TFRecordCrc crc = new TFRecordCrc();
    byte[] check = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int raw = 0xE3069283;
    assertThat(crc.masked(check, 0, check.length))
        .isEqualTo(((raw >>> 15) | (raw << 17)) + 0xa282ead8);
    // An empty record's frame as TensorFlow writes it: length 0, its CRC, no data, data CRC.
    assertThat(TFRecordCrc.mask(0)).isEqualTo(0xa282ead8);
  }

  @Test
  void roundTripsEveryCompression() throws Exception {
    List<byte[]> records = randomRecords(300, 2000, 1);
    records.add(new byte[0]);
    records.add(new byte[1 << 20]);
    for (TFRecordCompression c : TFRecordCompression.values()) {
      byte[] file = frames(records, c);
      List<byte[]> back =
          readAll(new TFRecordFrameReader(c.decompress(new ByteArrayInputStream(file)), "f", true));
      assertThat(back).as("%s", c).hasSize(records.size());
      for (int i = 0; i < records.size(); i++) {
        assertThat(back.get(i)).isEqualTo(records.get(i));
      }
    }
  }

  @Test
  void everySplittingReadsEachRecordExactlyOnce() throws Exception {
    List<byte[]> records = randomRecords(3000, 300, 2);
    records.add(1500, new byte[5000]); // longer than many of the splits below
    Path file = tmp.resolve("split.tfrecord");
    Files.write(file, frames(records, TFRecordCompression.NONE));
    long size = Files.size(file);
    for (long splitSize : new long[] {997, 4096, 65536, size}) {
      List<byte[]> back = new ArrayList<>();
      for (long start = 0; start < size; start += splitSize) {
        back.addAll(readAll(open(file, start, splitSize)));
      }
      assertThat(back).as("split size %d", splitSize).hasSize(records.size());
      for (int i = 0; i < records.size(); i++) {
        assertThat(back.get(i)).isEqualTo(records.get(i));
      }
    }
    // Tiny splits (each one opens the file) over a prefix: every boundary, frame starts included.
    for (long splitSize : new long[] {1, 7, 100}) {
      long prefix = Math.min(size, splitSize * 800);
      assertThat(readSplits(file, prefix, splitSize))
          .as("split size %d", splitSize)
          .isEqualTo(countUpTo(records, prefix));
    }
  }

  private int readSplits(Path file, long upTo, long splitSize) throws Exception {
    int n = 0;
    for (long start = 0; start < upTo; start += splitSize) {
      n += readAll(open(file, start, splitSize)).size();
    }
    return n;
  }

  /** How many records start before the offset. */
  private static int countUpTo(List<byte[]> records, long offset) {
    long pos = 0;
    int n = 0;
    for (byte[] r : records) {
      if (pos >= offset) {
        break;
      }
      n++;
      pos += 16 + r.length;
    }
    return n;
  }

  private TFRecordFrameReader open(Path file, long start, long length) throws Exception {
    return TFRecordFrameReader.open(
        new Configuration(),
        new org.apache.hadoop.fs.Path(file.toUri()),
        start,
        length,
        TFRecordCompression.NONE,
        true);
  }

  /** Offsets of each frame in an uncompressed file of these records. */
  private static long offsetOf(List<byte[]> records, int index) {
    long pos = 0;
    for (int i = 0; i < index; i++) {
      pos += 16 + records.get(i).length;
    }
    return pos;
  }

  private void expectDamageThenRecovery(
      List<byte[]> records, byte[] file, Kind kind, long offset, List<byte[]> recovered)
      throws Exception {
    TFRecordFrameReader reader =
        new TFRecordFrameReader(new ByteArrayInputStream(file), "damaged.tfrecord", true);
    List<byte[]> got = new ArrayList<>();
    boolean failed = false;
    while (true) {
      try {
        if (!reader.next()) {
          break;
        }
        got.add(
            Arrays.copyOfRange(
                reader.data(), reader.dataOffset(), reader.dataOffset() + reader.length()));
      } catch (TFRecordCorruptException e) {
        assertThat(failed).as("one damage only").isFalse();
        failed = true;
        assertThat(e.kind()).isEqualTo(kind);
        assertThat(e.offset()).isEqualTo(offset);
        assertThat(e.file()).isEqualTo("damaged.tfrecord");
        assertThat(e.getMessage())
            .contains("Cannot read TFRecord file damaged.tfrecord")
            .contains("at byte offset " + offset);
      }
    }
    reader.close();
    assertThat(failed).isTrue();
    assertThat(got).hasSize(recovered.size());
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i)).isEqualTo(recovered.get(i));
    }
  }

  @Test
  void badDataCrcSkipsOnlyThatRecord() throws Exception {
    List<byte[]> records = randomRecords(20, 100, 3);
    records.set(5, new byte[] {1, 2, 3, 4});
    byte[] file = frames(records, TFRecordCompression.NONE);
    file[(int) offsetOf(records, 5) + 12 + 1] ^= 1;
    List<byte[]> expected = new ArrayList<>(records);
    expected.remove(5);
    expectDamageThenRecovery(records, file, Kind.BAD_DATA_CRC, offsetOf(records, 5), expected);
  }

  @Test
  void badLengthResynchronisesOnTheNextRecord() throws Exception {
    List<byte[]> records = randomRecords(20, 100, 4);
    byte[] file = frames(records, TFRecordCompression.NONE);
    file[(int) offsetOf(records, 7) + 2] ^= 0x40; // inside the length
    List<byte[]> expected = new ArrayList<>(records);
    expected.remove(7);
    expectDamageThenRecovery(records, file, Kind.BAD_LENGTH_CRC, offsetOf(records, 7), expected);
  }

  @Test
  void truncatedHeaderOrDataIsReportedAndEnds() throws Exception {
    List<byte[]> records = randomRecords(10, 100, 5);
    records.set(9, new byte[50]);
    byte[] file = frames(records, TFRecordCompression.NONE);
    long last = offsetOf(records, 9);
    List<byte[]> firstNine = records.subList(0, 9);
    expectDamageThenRecovery(
        records, Arrays.copyOf(file, (int) last + 5), Kind.TRUNCATED, last, firstNine);
    expectDamageThenRecovery(
        records, Arrays.copyOf(file, (int) last + 30), Kind.TRUNCATED, last, firstNine);
  }

  @Test
  void compressedFilesCannotBeSplit() {
    assertThatThrownBy(
            () ->
                TFRecordFrameReader.open(
                    new Configuration(),
                    new org.apache.hadoop.fs.Path(tmp.resolve("x.gz").toUri()),
                    10,
                    10,
                    TFRecordCompression.GZIP,
                    true))
        .hasMessageContaining("not splittable");
  }

  @Test
  void compressionNamesParse() {
    assertThat(TFRecordCompression.fromOption("GZIP")).isEqualTo(TFRecordCompression.GZIP);
    assertThat(TFRecordCompression.fromOption("none")).isEqualTo(TFRecordCompression.NONE);
    assertThat(TFRecordCompression.fromCodec("org.apache.hadoop.io.compress.DefaultCodec"))
        .isEqualTo(TFRecordCompression.ZLIB);
    assertThat(TFRecordCompression.fromFileName("part-0.tfrecord.deflate"))
        .isEqualTo(TFRecordCompression.ZLIB);
    assertThat(TFRecordCompression.fromFileName("part-0.tfrecord"))
        .isEqualTo(TFRecordCompression.NONE);
    assertThatThrownBy(() -> TFRecordCompression.fromOption("lz4"))
        .hasMessageContaining("Invalid compression: 'lz4'")
        .hasMessageContaining("none, gzip, zlib");
    assertThatThrownBy(() -> TFRecordCompression.fromCodec("SnappyCodec"))
        .hasMessageContaining("Invalid codec: 'SnappyCodec'");
  }
}
