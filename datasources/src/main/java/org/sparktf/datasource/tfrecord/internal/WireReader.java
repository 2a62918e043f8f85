package org.sparktf.datasource.tfrecord.internal;

import org.sparktf.tfrecord.io.LittleEndian;

/** Reads protobuf wire format from a byte range; positions are absolute offsets into the array. */
final class WireReader {
  byte[] buf;
  int pos;
  int limit;

  void reset(byte[] buf, int offset, int end) {
    this.buf = buf;
    this.pos = offset;
    this.limit = end;
  }

  boolean more() {
    return pos < limit;
  }

  long varint() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= limit) {
        throw new TFRecordDecodeException("Invalid record: truncated varint");
      }
      byte b = buf[pos++];
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    throw new TFRecordDecodeException("Invalid record: malformed varint");
  }

  int varint32() {
    return (int) varint();
  }

  int fixed32() {
    if (pos + 4 > limit) {
      throw new TFRecordDecodeException("Invalid record: truncated fixed32");
    }
    int v = LittleEndian.readIntLE(buf, pos);
    pos += 4;
    return v;
  }

  /** Reads the length of a length-delimited field and returns its end offset. */
  int lengthDelimitedEnd() {
    // Compared as a long against the bytes left: a hostile length must neither wrap nor overflow.
    long length = varint();
    if (length < 0 || length > limit - pos) {
      throw new TFRecordDecodeException(
          "Invalid record: a field of length " + length + " runs past the end of the record");
    }
    return pos + (int) length;
  }

  /** Receives the byte range of one embedded message. */
  interface MessageVisitor {
    void visit(int start, int end);
  }

  /**
   * Visits each length-delimited field {@code field} from the current position to {@code end},
   * skipping other fields; the visitor may move the position within its message.
   */
  void forEachMessage(int field, int end, MessageVisitor visitor) {
    int saved = limit;
    int wanted = (field << 3) | 2;
    limit = end;
    while (pos < end) {
      int tag = varint32();
      if (tag != wanted) {
        skip(tag & 7);
        continue;
      }
      int messageEnd = lengthDelimitedEnd();
      visitor.visit(pos, messageEnd);
      pos = messageEnd;
      limit = end;
    }
    limit = saved;
  }

  /**
   * Reads a map entry message {@code [start, end)}: fills {@code range} with the key's offset and
   * length and the value's start and end (value = the whole entry's end twice when absent); returns
   * false if it has no key.
   */
  boolean mapEntry(int start, int end, int[] range) {
    int saved = limit;
    pos = start;
    limit = end;
    range[0] = -1;
    range[2] = end;
    range[3] = end;
    while (pos < end) {
      int tag = varint32();
      if (tag == ((1 << 3) | 2) || tag == ((2 << 3) | 2)) {
        int fieldEnd = lengthDelimitedEnd();
        int at = tag == ((1 << 3) | 2) ? 0 : 2;
        range[at] = pos;
        range[at + 1] = at == 0 ? fieldEnd - pos : fieldEnd;
        pos = fieldEnd;
      } else {
        skip(tag & 7);
      }
    }
    limit = saved;
    return range[0] >= 0;
  }

  void skip(int wireType) {
    switch (wireType) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 2:
        pos = lengthDelimitedEnd();
        break;
      case 5:
        pos += 4;
        break;
      default:
        throw new TFRecordDecodeException("Invalid record: unknown wire type " + wireType);
    }
    if (pos > limit) {
      throw new TFRecordDecodeException("Invalid record: a field runs past the end of the record");
    }
  }
}
