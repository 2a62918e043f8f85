package org.sparktf.datasource.tfrecord.internal;

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
    int v = TFRecordCrc.readIntLE(buf, pos);
    pos += 4;
    return v;
  }

  /** Reads the length of a length-delimited field and returns its end offset. */
  int lengthDelimitedEnd() {
    int length = varint32();
    int end = pos + length;
    if (length < 0 || end > limit) {
      throw new TFRecordDecodeException("Invalid record: a field runs past the end of the record");
    }
    return end;
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
