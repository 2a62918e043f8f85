package org.sparktf.datasource.tfrecord.internal;

import java.util.Arrays;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.sparktf.tfrecord.io.LittleEndian;

/**
 * Writes protobuf wire format into one growable buffer. A nested message reserves one length byte
 * when it begins and, if its length needs more, shifts its bytes once when it ends: no sizes are
 * computed ahead and nothing is copied for small messages.
 */
final class ProtoWriter {
  private byte[] buf = new byte[4096];
  private int pos;
  private int[] starts = new int[8];
  private int depth;

  void reset() {
    pos = 0;
    depth = 0;
  }

  byte[] buffer() {
    return buf;
  }

  int length() {
    return pos;
  }

  /** Starts a length-delimited field; close it with {@link #end()}. */
  void begin(int field) {
    tag(field, 2);
    ensure(1);
    if (depth == starts.length) {
      starts = Arrays.copyOf(starts, depth * 2);
    }
    starts[depth++] = pos;
    pos++;
  }

  void end() {
    int start = starts[--depth];
    int length = pos - start - 1;
    int size = varintSize(length);
    if (size > 1) {
      ensure(size - 1);
      System.arraycopy(buf, start + 1, buf, start + size, length);
      pos += size - 1;
    }
    int saved = pos;
    pos = start;
    varint(length);
    pos = saved;
  }

  void tag(int field, int wireType) {
    varint((field << 3) | wireType);
  }

  void varint(long value) {
    ensure(10);
    while ((value & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[pos++] = (byte) value;
  }

  void fixed32(int value) {
    ensure(4);
    LittleEndian.writeIntLE(buf, pos, value);
    pos += 4;
  }

  /** A length-delimited field holding these bytes. */
  void bytes(int field, byte[] value, int offset, int length) {
    tag(field, 2);
    varint(length);
    ensure(length);
    System.arraycopy(value, offset, buf, pos, length);
    pos += length;
  }

  /** Raw bytes from Spark memory (an unsafe array's body). */
  void raw(Object base, long offset, int length) {
    ensure(length);
    Platform.copyMemory(base, offset, buf, Platform.BYTE_ARRAY_OFFSET + pos, length);
    pos += length;
  }

  void utf8(int field, UTF8String value) {
    int length = value.numBytes();
    tag(field, 2);
    varint(length);
    ensure(length);
    Platform.copyMemory(
        value.getBaseObject(),
        value.getBaseOffset(),
        buf,
        Platform.BYTE_ARRAY_OFFSET + pos,
        length);
    pos += length;
  }

  static int varintSize(long value) {
    int size = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      size++;
    }
    return size;
  }

  private void ensure(int extra) {
    if (pos + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + extra));
    }
  }
}
