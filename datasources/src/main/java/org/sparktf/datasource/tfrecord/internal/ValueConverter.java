package org.sparktf.datasource.tfrecord.internal;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/** Turns parsed feature values into Spark's internal values of a column type, checking ranges. */
final class ValueConverter {
  private static final boolean LITTLE_ENDIAN =
      java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

  private ValueConverter() {}

  /** Makes the values' kind fit the column's: an absent list is empty; int64 widens to float. */
  static void checkKind(FeatureValues v, FeatureKind expected, String column, DataType type) {
    if (v.kind == null) {
      v.kind = expected;
      v.count = 0;
    } else if (v.kind == FeatureKind.INT64 && expected == FeatureKind.FLOAT) {
      if (v.floats.length < v.count) {
        v.floats = new float[v.longs.length];
      }
      v.packedFloats = -1;
      for (int i = 0; i < v.count; i++) {
        v.floats[i] = v.longs[i];
      }
      v.kind = FeatureKind.FLOAT;
    } else if (v.kind != expected) {
      throw new TFRecordDecodeException(
          String.format(
              "Invalid feature '%s': column %s (%s) needs %s but the feature is a %s",
              column, column, type.simpleString(), expected.protoName, v.kind.protoName));
    }
  }

  /** Sets a scalar column from a feature that must hold exactly one value. */
  static void setScalar(InternalRow row, int ordinal, FeatureValues v, DataType t, String column) {
    checkOneValue(v, t, column);
    if (t instanceof LongType) {
      row.setLong(ordinal, v.longs[0]);
    } else if (t instanceof IntegerType) {
      row.setInt(
          ordinal, (int) ranged(v.longs[0], Integer.MIN_VALUE, Integer.MAX_VALUE, t, column));
    } else if (t instanceof ShortType) {
      row.setShort(
          ordinal, (short) ranged(v.longs[0], Short.MIN_VALUE, Short.MAX_VALUE, t, column));
    } else if (t instanceof ByteType) {
      row.setByte(ordinal, (byte) ranged(v.longs[0], Byte.MIN_VALUE, Byte.MAX_VALUE, t, column));
    } else if (t instanceof BooleanType) {
      row.setBoolean(ordinal, ranged(v.longs[0], 0, 1, t, column) == 1);
    } else if (t instanceof FloatType) {
      row.setFloat(ordinal, v.floats()[0]);
    } else if (t instanceof DoubleType) {
      row.setDouble(ordinal, v.floats()[0]);
    } else {
      row.update(ordinal, object(v, 0, t, column));
    }
  }

  /** Fails unless the feature holds exactly one value, as a scalar column needs. */
  static void checkOneValue(FeatureValues v, DataType t, String column) {
    if (v.count != 1) {
      throw new TFRecordDecodeException(
          String.format(
              "Invalid feature '%s': column %s is a scalar %s but the feature has %d values;"
                  + " declare the column as array<%s>",
              column, column, t.simpleString(), v.count, t.simpleString()));
    }
  }

  /** An array of the element type holding all the feature's values. */
  static ArrayData array(FeatureValues v, DataType t, String column) {
    int n = v.count;
    if (t instanceof LongType) {
      return UnsafeArrayData.fromPrimitiveArray(v.longs, Platform.LONG_ARRAY_OFFSET, n, 8);
    }
    if (t instanceof FloatType) {
      if (v.packedFloats >= 0 && LITTLE_ENDIAN) {
        // Packed floats on the wire are little-endian IEEE 754: Spark's layout on this machine.
        return UnsafeArrayData.fromPrimitiveArray(
            v.buf, Platform.BYTE_ARRAY_OFFSET + v.packedFloats, n, 4);
      }
      return UnsafeArrayData.fromPrimitiveArray(v.floats(), Platform.FLOAT_ARRAY_OFFSET, n, 4);
    }
    if (t instanceof DoubleType) {
      float[] floats = v.floats();
      double[] d = new double[n];
      for (int i = 0; i < n; i++) {
        d[i] = floats[i];
      }
      return UnsafeArrayData.fromPrimitiveArray(d);
    }
    if (t instanceof IntegerType) {
      int[] ints = new int[n];
      for (int i = 0; i < n; i++) {
        ints[i] = (int) ranged(v.longs[i], Integer.MIN_VALUE, Integer.MAX_VALUE, t, column);
      }
      return UnsafeArrayData.fromPrimitiveArray(ints);
    }
    Object[] values = new Object[n];
    for (int i = 0; i < n; i++) {
      values[i] = object(v, i, t, column);
    }
    return new GenericArrayData(values);
  }

  private static Object object(FeatureValues v, int i, DataType t, String column) {
    if (t instanceof BinaryType) {
      return v.bytesAt(i);
    } else if (t instanceof DecimalType) {
      DecimalType d = (DecimalType) t;
      Decimal decimal = Decimal.apply((double) v.floats()[i]);
      if (!decimal.changePrecision(d.precision(), d.scale())) {
        throw outOfRange(Float.toString(v.floats()[i]), t, column);
      }
      return decimal;
    } else if (t instanceof ShortType) {
      return (short) ranged(v.longs[i], Short.MIN_VALUE, Short.MAX_VALUE, t, column);
    } else if (t instanceof ByteType) {
      return (byte) ranged(v.longs[i], Byte.MIN_VALUE, Byte.MAX_VALUE, t, column);
    } else if (t instanceof BooleanType) {
      return ranged(v.longs[i], 0, 1, t, column) == 1;
    }
    return UTF8String.fromBytes(v.bytesAt(i));
  }

  /** The value, if it lies in [min, max] (the range of the column's type). */
  static long ranged(long value, long min, long max, DataType t, String column) {
    if (value < min || value > max) {
      throw outOfRange(Long.toString(value), t, column);
    }
    return value;
  }

  private static TFRecordDecodeException outOfRange(String value, DataType t, String column) {
    return new TFRecordDecodeException(
        String.format(
            "Invalid feature '%s': value %s does not fit column %s of type %s; declare a wider"
                + " type",
            column, value, column, t.simpleString()));
  }
}
