package org.sparktf.datasource.tfrecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordCorruptException;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;

/**
 * Builds hostile TFRecord files: intact Examples ({@code id}, {@code payload}) around a crafted
 * length, a varint that overflows, or a damaged compressed stream. Each knows where the damage is
 * and which records stay readable, computed independently of the reader under test.
 */
final class HostileTFRecords {
  /** The length of a frame holding {@code n} data bytes. */
  private static final int FRAME_OVERHEAD = 16;

  /** A hostile file: the damage's offset (in the decompressed stream) and the intact ids. */
  static final class Hostile {
    final String name;
    final Path file;
    final long damageOffset;
    final List<Long> intactIds;
    final TFRecordCorruptException.Kind kind;

    Hostile(
        String name,
        Path file,
        long damageOffset,
        List<Long> intactIds,
        TFRecordCorruptException.Kind kind) {
      this.name = name;
      this.file = file;
      this.damageOffset = damageOffset;
      this.intactIds = intactIds;
      this.kind = kind;
    }

    /** Null for a record whose frame is intact but whose content cannot be parsed. */
    boolean isFrameDamage() {
      return kind != null;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private HostileTFRecords() {}

  static byte[] example(long id) {
    String payload = Long.toHexString(new Random(id).nextLong()).repeat((int) (id % 7) + 1);
    return Example.newBuilder()
        .setFeatures(
            Features.newBuilder()
                .putFeature(
                    "id",
                    Feature.newBuilder()
                        .setInt64List(Int64List.newBuilder().addValue(id).build())
                        .build())
                .putFeature(
                    "payload",
                    Feature.newBuilder()
                        .setBytesList(
                            BytesList.newBuilder()
                                .addValue(com.google.protobuf.ByteString.copyFromUtf8(payload))
                                .build())
                        .build()))
        .build()
        .toByteArray();
  }

  /** Frames of the Examples with ids [from, to), uncompressed. */
  static byte[] frames(long from, long to) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TFRecordFrameWriter writer = new TFRecordFrameWriter(out)) {
      for (long id = from; id < to; id++) {
        byte[] record = example(id);
        writer.write(record, 0, record.length);
      }
    }
    return out.toByteArray();
  }

  /** A frame header declaring {@code length} bytes, with a valid length CRC, and no data. */
  static byte[] headerOnly(long length) {
    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(length);
    CRC32C crc = new CRC32C();
    crc.update(header.array(), 0, 8);
    int raw = (int) crc.getValue();
    header.putInt(((raw >>> 15) | (raw << 17)) + 0xa282ead8);
    return header.array();
  }

  static byte[] compress(byte[] data, TFRecordCompression compression) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var stream = compression.compress(out)) {
      stream.write(data);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static List<Long> ids(long from, long to) {
    List<Long> ids = new ArrayList<>();
    for (long id = from; id < to; id++) {
      ids.add(id);
    }
    return ids;
  }

  /** Three intact records, then a header declaring {@code length} bytes and the stream's end. */
  static Hostile hugeLength(Path dir, String name, long length, TFRecordCompression compression)
      throws IOException {
    byte[] intact = frames(0, 3);
    Path file = dir.resolve(name);
    Files.write(file, compress(concat(intact, headerOnly(length)), compression));
    return new Hostile(
        name, file, intact.length, ids(0, 3), TFRecordCorruptException.Kind.TRUNCATED);
  }

  /** Just a compressed header declaring {@code length} bytes: about 30 bytes on disk. */
  static Path bareHugeLength(Path dir, String name, long length, TFRecordCompression compression)
      throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, compress(headerOnly(length), compression));
    return file;
  }

  /**
   * Records 0-2, a record {@code 0A FF FF FF FF 07} (field 1, length-delimited, length 2^31 - 1)
   * with valid CRCs, then records 3-5. Uncompressed.
   */
  static Hostile varintOverflow(Path dir) throws IOException {
    byte[] before = frames(0, 3);
    byte[] hostile = {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
    ByteArrayOutputStream middle = new ByteArrayOutputStream();
    try (TFRecordFrameWriter writer = new TFRecordFrameWriter(middle)) {
      writer.write(hostile, 0, hostile.length);
    }
    Path file = dir.resolve("varint.tfrecord");
    Files.write(file, concat(before, middle.toByteArray(), frames(3, 6)));
    return new Hostile("varint overflow", file, before.length, ids(0, 6), null);
  }

  /** {@code records} Examples, compressed, cut at half the compressed length. */
  static Hostile cutInHalf(Path dir, String name, int records, TFRecordCompression compression)
      throws IOException {
    byte[] whole = compress(frames(0, records), compression);
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
    Path file = dir.resolve(name);
    Files.write(file, cut);
    // What an inflater can give from the cut file, read independently of the reader under test.
    byte[] prefix = decompressUntilFailure(cut, compression);
    int intact = completeFrames(prefix);
    return new Hostile(
        name,
        file,
        frames(0, intact).length,
        ids(0, intact),
        TFRecordCorruptException.Kind.TRUNCATED);
  }

  /** {@code records} Examples, gzip, with the trailer's length field damaged. */
  static Hostile badGzipTrailer(Path dir, int records) throws IOException {
    byte[] data = frames(0, records);
    byte[] gzip = compress(data, TFRecordCompression.GZIP);
    gzip[gzip.length - 1] ^= 0x55;
    Path file = dir.resolve("trailer.gz");
    Files.write(file, gzip);
    return new Hostile(
        "bad gzip trailer",
        file,
        data.length,
        ids(0, records),
        TFRecordCorruptException.Kind.BAD_COMPRESSION);
  }

  /** Every byte the JDK's inflater yields before it fails. */
  private static byte[] decompressUntilFailure(byte[] compressed, TFRecordCompression c)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = c.decompress(new java.io.ByteArrayInputStream(compressed))) {
      byte[] chunk = new byte[4096];
      for (int n; (n = in.read(chunk)) >= 0; ) {
        out.write(chunk, 0, n);
      }
      throw new IllegalStateException("the cut " + c + " stream did not fail");
    } catch (java.io.EOFException expected) {
      return out.toByteArray();
    }
  }

  /** How many whole frames a prefix holds, from the length fields the writer wrote. */
  private static int completeFrames(byte[] prefix) {
    ByteBuffer b = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
    int n = 0;
    int at = 0;
    while (at + 8 <= prefix.length) {
      long frame = b.getLong(at) + FRAME_OVERHEAD;
      if (at + frame > prefix.length) {
        break;
      }
      at += (int) frame;
      n++;
    }
    return n;
  }
}
