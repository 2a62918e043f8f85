package org.sparktf.datasource.tfrecord.internal;

import java.util.Arrays;
import org.sparktf.tfrecord.io.LittleEndian;

/**
 * The values of one {@code tf.train.Feature}, parsed into reused scratch arrays: longs, floats, or
 * (offset, length) pairs of byte strings in the record buffer.
 */
final class FeatureValues {
  FeatureKind kind;
  int count;
  long[] longs = new long[16];
  float[] floats = new float[16];
  int[] offsets = new int[16];
  int[] lengths = new int[16];
  byte[] buf;

  /** Where a single packed float block sits in buf, not yet copied into floats; -1 if none. */
  int packedFloats = -1;

  /** Parses the Feature message that the reader's range [start, end) holds. */
  void parse(WireReader r, int start, int end) {
    kind = null;
    count = 0;
    packedFloats = -1;
    buf = r.buf;
    int saved = r.limit;
    r.pos = start;
    r.limit = end;
    while (r.more()) {
      int tag = r.varint32();
      FeatureKind k = FeatureKind.ofField(tag >>> 3);
      if (k != null && (tag & 7) == 2) {
        int listEnd = r.lengthDelimitedEnd();
        kind = k;
        count = 0;
        packedFloats = -1;
        parseList(r, listEnd);
        r.pos = listEnd;
      } else {
        r.skip(tag & 7);
      }
    }
    r.limit = saved;
  }

  private void parseList(WireReader r, int listEnd) {
    int saved = r.limit;
    r.limit = listEnd;
    while (r.more()) {
      int tag = r.varint32();
      if ((tag >>> 3) != 1) {
        r.skip(tag & 7);
        continue;
      }
      int wire = tag & 7;
      if (kind == FeatureKind.BYTES && wire == 2) {
        int end = r.lengthDelimitedEnd();
        addBytes(r.pos, end - r.pos);
        r.pos = end;
      } else if (kind == FeatureKind.INT64 && wire == 0) {
        addLong(r.varint());
      } else if (kind == FeatureKind.FLOAT && wire == 5) {
        addFloat(Float.intBitsToFloat(r.fixed32()));
      } else if (wire == 2) {
        int end = r.lengthDelimitedEnd();
        parsePacked(r, end);
      } else {
        r.skip(wire);
      }
    }
    r.limit = saved;
  }

  private void parsePacked(WireReader r, int end) {
    if (kind == FeatureKind.FLOAT) {
      int n = (end - r.pos) / 4;
      if (count == 0) {
        // The common case, one packed block: leave it in place; arrays are built straight from it.
        packedFloats = r.pos;
        count = n;
        r.pos = end;
        return;
      }
      materializeFloats();
      ensure(count + n);
      for (int i = 0; i < n; i++) {
        floats[count++] = Float.intBitsToFloat(LittleEndian.readIntLE(r.buf, r.pos + 4 * i));
      }
      r.pos = end;
    } else {
      int saved = r.limit;
      r.limit = end;
      while (r.more()) {
        addLong(r.varint());
      }
      r.limit = saved;
    }
  }

  private void addLong(long v) {
    ensure(count + 1);
    longs[count++] = v;
  }

  private void addFloat(float v) {
    materializeFloats();
    ensure(count + 1);
    floats[count++] = v;
  }

  private void addBytes(int offset, int length) {
    ensure(count + 1);
    offsets[count] = offset;
    lengths[count++] = length;
  }

  private void ensure(int n) {
    if (n > longs.length && kind == FeatureKind.INT64) {
      longs = Arrays.copyOf(longs, Math.max(n, longs.length * 2));
    } else if (n > floats.length && kind == FeatureKind.FLOAT) {
      floats = Arrays.copyOf(floats, Math.max(n, floats.length * 2));
    } else if (n > offsets.length && kind == FeatureKind.BYTES) {
      offsets = Arrays.copyOf(offsets, Math.max(n, offsets.length * 2));
      lengths = Arrays.copyOf(lengths, Math.max(n, lengths.length * 2));
    }
  }

  /** The float values as an array (valid for [0, count)), copying a packed block if needed. */
  float[] floats() {
    materializeFloats();
    return floats;
  }

  private void materializeFloats() {
    if (packedFloats < 0) {
      return;
    }
    int n = count;
    if (floats.length < n) {
      floats = new float[Math.max(n, floats.length * 2)];
    }
    for (int i = 0; i < n; i++) {
      floats[i] = Float.intBitsToFloat(LittleEndian.readIntLE(buf, packedFloats + 4 * i));
    }
    packedFloats = -1;
  }

  byte[] bytesAt(int i) {
    return Arrays.copyOfRange(buf, offsets[i], offsets[i] + lengths[i]);
  }
}
