package org.sparktf.datasource.tfrecord.internal;

import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeArrayWriter;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeRowWriter;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.sparktf.datasource.tfrecord.TFRecordType;
import org.sparktf.datasource.tfrecord.internal.ColumnShape.Shape;

/**
 * Writes decoded feature values straight into Spark's {@code UnsafeRow} layout, so a row costs one
 * copy of its values instead of a generic row plus an {@code UnsafeProjection}: packed floats and
 * int64 lists are copied in bulk, strings and bytes straight from the record buffer. Covers scalar
 * and array columns of every TFRecord type but decimals; see {@link #supports}. The row is reused
 * by the next record. Not thread-safe: one per task.
 */
final class DirectRowWriter {
  private static final boolean LITTLE_ENDIAN =
      java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

  private final UnsafeRowWriter row;
  private final UnsafeArrayWriter[] arrays = new UnsafeArrayWriter[9];

  DirectRowWriter(int columns) {
    this.row = new UnsafeRowWriter(columns, 64 * columns);
    for (int size : new int[] {1, 2, 4, 8}) {
      arrays[size] = new UnsafeArrayWriter(row, size);
    }
  }

  /**
   * Whether every column of the schema can be written directly: Example or SequenceExample context
   * features (not feature lists), raw bytes, scalars and arrays of any type but decimal. Vectors,
   * nested arrays, null columns and decimals take the generic row path.
   */
  static boolean supports(StructType schema, TFRecordType type, String corruptRecordColumn) {
    if (type == TFRecordType.BYTE_ARRAY) {
      return true;
    }
    for (StructField field : schema.fields()) {
      if (field.name().equals(corruptRecordColumn)) {
        continue;
      }
      ColumnShape shape = ColumnShape.of(field.dataType());
      if (shape == null
          || (shape.shape != Shape.SCALAR && shape.shape != Shape.ARRAY)
          || shape.element instanceof DecimalType) {
        return false;
      }
    }
    return true;
  }

  /** Starts a record: every column not null, nothing written yet. */
  void start() {
    row.reset();
    row.zeroOutNullBytes();
  }

  /** The record written since {@link #start()}; valid until the next start. */
  UnsafeRow finish() {
    return row.getRow();
  }

  void setNull(int ordinal) {
    row.setNullAt(ordinal);
  }

  /** A binary column holding a byte range, e.g. a whole raw record. */
  void bytes(int ordinal, byte[] buf, int offset, int length) {
    row.write(ordinal, buf, offset, length);
  }

  /** A scalar column from a feature that must hold exactly one value of the column's kind. */
  void scalar(int ordinal, FeatureValues v, DataType t, String column) {
    if (t instanceof StringType || t instanceof BinaryType) {
      ValueConverter.checkOneValue(v, t, column);
      row.write(ordinal, v.buf, v.offsets[0], v.lengths[0]);
    } else {
      // UnsafeRow's setters write fixed-width values in place, with the generic path's checks.
      // A column's slot only ever holds its own type's bytes or a null's zeros, so the bytes a
      // narrow setter leaves alone stay zero across records.
      ValueConverter.setScalar(row.getRow(), ordinal, v, t, column);
    }
  }

  /** An array column holding all the feature's values. */
  void array(int ordinal, FeatureValues v, DataType t, String column) {
    int n = v.count;
    int previousCursor = row.cursor();
    if (t instanceof FloatType) {
      if (v.packedFloats >= 0 && LITTLE_ENDIAN) {
        // Packed floats on the wire are little-endian IEEE 754: Spark's layout on this machine.
        copy(n, 4, v.buf, Platform.BYTE_ARRAY_OFFSET + v.packedFloats);
      } else {
        copy(n, 4, v.floats(), Platform.FLOAT_ARRAY_OFFSET);
      }
    } else if (t instanceof LongType) {
      copy(n, 8, v.longs, Platform.LONG_ARRAY_OFFSET);
    } else if (t instanceof StringType || t instanceof BinaryType) {
      UnsafeArrayWriter out = arrays[8];
      out.initialize(n);
      for (int i = 0; i < n; i++) {
        out.write(i, v.buf, v.offsets[i], v.lengths[i]);
      }
    } else {
      convert(n, v, t, column);
    }
    row.setOffsetAndSizeFromPreviousCursor(ordinal, previousCursor);
  }

  /** Copies n elements of the given size in one block after an array header. */
  private void copy(int n, int size, Object base, long offset) {
    long header = row.cursor() + (long) UnsafeArrayData.calculateHeaderPortionInBytes(n);
    arrays[size].initialize(n);
    Platform.copyMemory(base, offset, row.getBuffer(), header, (long) n * size);
  }

  /** Element by element, for types that need widening or range checks. */
  private void convert(int n, FeatureValues v, DataType t, String column) {
    if (t instanceof DoubleType) {
      float[] floats = v.floats();
      UnsafeArrayWriter out = arrays[8];
      out.initialize(n);
      for (int i = 0; i < n; i++) {
        out.write(i, (double) floats[i]);
      }
    } else if (t instanceof IntegerType) {
      UnsafeArrayWriter out = arrays[4];
      out.initialize(n);
      for (int i = 0; i < n; i++) {
        out.write(
            i,
            (int)
                ValueConverter.ranged(v.longs[i], Integer.MIN_VALUE, Integer.MAX_VALUE, t, column));
      }
    } else if (t instanceof ShortType) {
      UnsafeArrayWriter out = arrays[2];
      out.initialize(n);
      for (int i = 0; i < n; i++) {
        out.write(
            i,
            (short) ValueConverter.ranged(v.longs[i], Short.MIN_VALUE, Short.MAX_VALUE, t, column));
      }
    } else if (t instanceof ByteType) {
      UnsafeArrayWriter out = arrays[1];
      out.initialize(n);
      for (int i = 0; i < n; i++) {
        out.write(
            i, (byte) ValueConverter.ranged(v.longs[i], Byte.MIN_VALUE, Byte.MAX_VALUE, t, column));
      }
    } else if (t instanceof BooleanType) {
      UnsafeArrayWriter out = arrays[1];
      out.initialize(n);
      for (int i = 0; i < n; i++) {
        out.write(i, ValueConverter.ranged(v.longs[i], 0, 1, t, column) == 1);
      }
    } else {
      throw new IllegalStateException("Cannot write array<" + t.simpleString() + "> directly");
    }
  }
}
