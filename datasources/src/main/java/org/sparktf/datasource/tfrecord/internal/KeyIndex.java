package org.sparktf.datasource.tfrecord.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Maps feature names, looked up straight from record bytes, to slots: no String per feature. */
final class KeyIndex {
  private final byte[][] keys;
  private final int[] slots;
  private final int mask;

  KeyIndex(int capacity) {
    int size = Integer.highestOneBit(Math.max(4, capacity * 4) - 1) << 1;
    keys = new byte[size][];
    slots = new int[size];
    mask = size - 1;
  }

  void put(String name, int slot) {
    byte[] key = name.getBytes(StandardCharsets.UTF_8);
    int i = hash(key, 0, key.length) & mask;
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    slots[i] = slot;
  }

  /** The slot of the name in {@code buf[offset, offset + length)}, or -1. */
  int get(byte[] buf, int offset, int length) {
    int i = hash(buf, offset, length) & mask;
    while (keys[i] != null) {
      byte[] key = keys[i];
      if (key.length == length && Arrays.equals(key, 0, length, buf, offset, offset + length)) {
        return slots[i];
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  private static int hash(byte[] b, int offset, int length) {
    int h = 0x811c9dc5;
    for (int i = offset; i < offset + length; i++) {
      h = (h ^ b[i]) * 0x01000193;
    }
    return h ^ (h >>> 16);
  }
}
