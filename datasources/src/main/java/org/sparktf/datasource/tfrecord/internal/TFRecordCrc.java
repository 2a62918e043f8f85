package org.sparktf.datasource.tfrecord.internal;

import java.util.zip.CRC32C;

/** TFRecord's masked CRC32C: {@code ((crc >>> 15) | (crc << 17)) + 0xa282ead8}. */
final class TFRecordCrc {
  private static final int MASK_DELTA = 0xa282ead8;
  private final CRC32C crc = new CRC32C();

  /** The masked CRC32C of {@code bytes[offset, offset + length)}. */
  int masked(byte[] bytes, int offset, int length) {
    crc.reset();
    crc.update(bytes, offset, length);
    return mask((int) crc.getValue());
  }

  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  static int readIntLE(byte[] b, int off) {
    return (b[off] & 0xff)
        | (b[off + 1] & 0xff) << 8
        | (b[off + 2] & 0xff) << 16
        | (b[off + 3] & 0xff) << 24;
  }

  static long readLongLE(byte[] b, int off) {
    return (readIntLE(b, off) & 0xffffffffL) | ((long) readIntLE(b, off + 4)) << 32;
  }

  static void writeIntLE(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }

  static void writeLongLE(byte[] b, int off, long v) {
    writeIntLE(b, off, (int) v);
    writeIntLE(b, off + 4, (int) (v >>> 32));
  }
}
