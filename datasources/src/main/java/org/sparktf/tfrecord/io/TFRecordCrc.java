package org.sparktf.tfrecord.io;

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
}
