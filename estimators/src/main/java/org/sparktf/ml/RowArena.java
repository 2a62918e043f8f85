package org.sparktf.ml;

import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * One batch of input rows copied into a single reusable byte array: Spark reuses the row objects it
 * hands out, so a batch must keep copies until its outputs are joined to them, and one growing
 * array avoids allocating a copy per row. Not thread-safe.
 */
final class RowArena {
  private final int numFields;
  private final UnsafeProjection toUnsafe;
  private final int expectedRows;
  private byte[] data = new byte[0];
  private int used;
  private int[] offsets = new int[64];
  private int[] sizes = new int[64];
  private int rows;

  /** {@code expectedRows}: rows per batch, to size the array once from the first row. */
  RowArena(StructType schema, int expectedRows) {
    this.expectedRows = expectedRows;
    this.numFields = schema.size();
    this.toUnsafe = UnsafeProjection.create(schema);
  }

  int rows() {
    return rows;
  }

  void clear() {
    used = 0;
    rows = 0;
  }

  /** Copies {@code row} (as an UnsafeRow; other rows are converted first). */
  void add(InternalRow row) {
    UnsafeRow unsafe = row instanceof UnsafeRow ? (UnsafeRow) row : toUnsafe.apply(row);
    int size = unsafe.getSizeInBytes();
    if (used + size > data.length) {
      // Sized for a batch of rows like this one, then doubling: growth copies stay rare.
      long wanted = Math.max((long) expectedRows * size + size, 2L * data.length);
      data =
          Arrays.copyOf(
              data, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(used + size, wanted)));
    }
    if (rows == offsets.length) {
      offsets = Arrays.copyOf(offsets, rows * 2);
      sizes = Arrays.copyOf(sizes, rows * 2);
    }
    Platform.copyMemory(
        unsafe.getBaseObject(),
        unsafe.getBaseOffset(),
        data,
        Platform.BYTE_ARRAY_OFFSET + used,
        size);
    offsets[rows] = used;
    sizes[rows] = size;
    used += size;
    rows++;
  }

  /** A new row object to point at rows of this arena with {@link #pointTo}. */
  UnsafeRow newRow() {
    return new UnsafeRow(numFields);
  }

  /** Points {@code row} at copied row {@code index}; valid until the next {@link #clear}. */
  UnsafeRow pointTo(UnsafeRow row, int index) {
    row.pointTo(data, Platform.BYTE_ARRAY_OFFSET + offsets[index], sizes[index]);
    return row;
  }

  /** The array holding the rows, for bulk copies out of them. */
  byte[] data() {
    return data;
  }
}
