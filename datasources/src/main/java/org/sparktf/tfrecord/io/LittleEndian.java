package org.sparktf.tfrecord.io;

/**
 * Little-endian reads and writes of fixed-width integers in byte arrays: the byte order of TFRecord
 * frame headers and of protobuf's fixed32/fixed64 fields.
 */
public final class LittleEndian {
  private LittleEndian() {}

  public static int readIntLE(byte[] b, int off) {
    return (b[off] & 0xff)
        | (b[off + 1] & 0xff) << 8
        | (b[off + 2] & 0xff) << 16
        | (b[off + 3] & 0xff) << 24;
  }

  public static long readLongLE(byte[] b, int off) {
    return (readIntLE(b, off) & 0xffffffffL) | ((long) readIntLE(b, off + 4)) << 32;
  }

  public static void writeIntLE(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }

  public static void writeLongLE(byte[] b, int off, long v) {
    writeIntLE(b, off, (int) v);
    writeIntLE(b, off + 4, (int) (v >>> 32));
  }
}
