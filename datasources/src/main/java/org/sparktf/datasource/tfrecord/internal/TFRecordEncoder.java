package org.sparktf.datasource.tfrecord.internal;

import java.nio.charset.StandardCharsets;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.TFRecordType;
import org.sparktf.datasource.tfrecord.internal.ColumnShape.Shape;

/**
 * Serialises rows of one schema as {@code tf.train.Example} / {@code SequenceExample} wire bytes
 * (or passes raw bytes through for ByteArray), without building proto objects. Double and decimal
 * values become 32-bit floats: TensorFlow's float_list holds nothing wider. Not thread-safe: one
 * per task.
 */
public final class TFRecordEncoder {
  private static final boolean LITTLE_ENDIAN =
      java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
  private final TFRecordType type;
  private final String[] names;
  private final byte[][] keys;
  private final ColumnShape[] shapes;
  private final ProtoWriter out = new ProtoWriter();
  private byte[] raw;
  private int rawLength;

  public TFRecordEncoder(StructType schema, TFRecordType type) {
    TFRecordSchemas.validateForWrite(schema, type);
    this.type = type;
    int n = schema.length();
    this.names = schema.fieldNames();
    this.keys = new byte[n][];
    this.shapes = new ColumnShape[n];
    for (int i = 0; i < n; i++) {
      keys[i] = names[i].getBytes(StandardCharsets.UTF_8);
      shapes[i] = ColumnShape.of(schema.fields()[i].dataType());
    }
  }

  /** Serialises the row; the bytes are {@code [0, length())} of the returned (reused) array. */
  public byte[] encode(InternalRow row) {
    if (type == TFRecordType.BYTE_ARRAY) {
      raw = row.getBinary(0);
      rawLength = raw.length;
      return raw;
    }
    out.reset();
    out.begin(1); // Example.features, or SequenceExample.context
    for (int i = 0; i < names.length; i++) {
      if (!row.isNullAt(i) && shapes[i].shape != Shape.NESTED) {
        writeColumn(row, i);
      }
    }
    out.end();
    if (type == TFRecordType.SEQUENCE_EXAMPLE) {
      out.begin(2); // SequenceExample.feature_lists
      for (int i = 0; i < names.length; i++) {
        if (!row.isNullAt(i) && shapes[i].shape == Shape.NESTED) {
          writeFeatureList(row.getArray(i), i);
        }
      }
      out.end();
    }
    return out.buffer();
  }

  public int length() {
    return type == TFRecordType.BYTE_ARRAY ? rawLength : out.length();
  }

  private void writeColumn(InternalRow row, int i) {
    ColumnShape shape = shapes[i];
    switch (shape.shape) {
      case SCALAR:
        beginEntry(keys[i]);
        beginList(shape.kind);
        value(shape.kind, shape.element, row, i);
        endList(shape.kind);
        endEntry();
        break;
      case ARRAY:
        beginEntry(keys[i]);
        list(shape, row.getArray(i), i);
        endEntry();
        break;
      case VECTOR:
        writeVector(row.getStruct(i, 4), i);
        break;
      default:
        throw new IllegalStateException("Unexpected shape " + shape.shape);
    }
  }

  /** ML vectors: dense as one float list; sparse kept sparse as indices, values and size. */
  private void writeVector(InternalRow vector, int i) {
    boolean dense = vector.getByte(0) == 1;
    ArrayData values = vector.getArray(3);
    if (dense) {
      beginEntry(keys[i]);
      list(FeatureKind.FLOAT, DataTypes.DoubleType, values, i);
      endEntry();
      return;
    }
    beginEntry(key(names[i] + "/indices"));
    list(FeatureKind.INT64, DataTypes.IntegerType, vector.getArray(2), i);
    endEntry();
    beginEntry(key(names[i] + "/values"));
    list(FeatureKind.FLOAT, DataTypes.DoubleType, values, i);
    endEntry();
    beginEntry(key(names[i] + "/size"));
    beginList(FeatureKind.INT64);
    out.varint(vector.getInt(1));
    endList(FeatureKind.INT64);
    endEntry();
  }

  private static byte[] key(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  private void writeFeatureList(ArrayData steps, int i) {
    ColumnShape shape = shapes[i];
    beginEntry(keys[i]); // the value written is a FeatureList: repeated Feature feature = 1
    for (int s = 0; s < steps.numElements(); s++) {
      if (steps.isNullAt(s)) {
        throw TFRecordErrors.nullArrayElement(names[i], s);
      }
      out.begin(1);
      list(shape, steps.getArray(s), i);
      out.end();
    }
    endEntry();
  }

  private void list(ColumnShape shape, ArrayData values, int column) {
    list(shape.kind, shape.element, values, column);
  }

  private void list(FeatureKind kind, DataType element, ArrayData values, int column) {
    beginList(kind);
    int n = values.numElements();
    if (element instanceof FloatType && values instanceof UnsafeArrayData && LITTLE_ENDIAN) {
      // Spark's float array body is the packed wire format already: one copy, no per-value work.
      UnsafeArrayData unsafe = (UnsafeArrayData) values;
      for (int j = 0; j < n; j++) {
        if (unsafe.isNullAt(j)) {
          throw TFRecordErrors.nullArrayElement(names[column], j);
        }
      }
      out.raw(
          unsafe.getBaseObject(),
          unsafe.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
          4 * n);
      endList(kind);
      return;
    }
    for (int j = 0; j < n; j++) {
      if (values.isNullAt(j)) {
        throw TFRecordErrors.nullArrayElement(names[column], j);
      }
      value(kind, element, values, j);
    }
    endList(kind);
  }

  private void beginEntry(byte[] key) {
    out.begin(1); // map entry
    out.bytes(1, key, 0, key.length);
    out.begin(2); // Feature, or FeatureList
  }

  private void endEntry() {
    out.end();
    out.end();
  }

  /** Opens the Feature's list; int64 and float values are written packed. */
  private void beginList(FeatureKind kind) {
    out.begin(kind.field);
    if (kind != FeatureKind.BYTES) {
      out.begin(1);
    }
  }

  private void endList(FeatureKind kind) {
    if (kind != FeatureKind.BYTES) {
      out.end();
    }
    out.end();
  }

  private void value(FeatureKind kind, DataType element, SpecializedGetters src, int j) {
    switch (kind) {
      case INT64:
        out.varint(longValue(element, src, j));
        break;
      case FLOAT:
        out.fixed32(Float.floatToRawIntBits(floatValue(element, src, j)));
        break;
      default:
        if (element instanceof BinaryType) {
          byte[] bytes = src.getBinary(j);
          out.bytes(1, bytes, 0, bytes.length);
        } else {
          out.utf8(1, src.getUTF8String(j));
        }
    }
  }

  private static long longValue(DataType element, SpecializedGetters src, int j) {
    if (element instanceof LongType) {
      return src.getLong(j);
    } else if (element instanceof IntegerType) {
      return src.getInt(j);
    } else if (element instanceof ShortType) {
      return src.getShort(j);
    } else if (element instanceof ByteType) {
      return src.getByte(j);
    } else if (element instanceof BooleanType) {
      return src.getBoolean(j) ? 1 : 0;
    }
    throw new IllegalStateException("Not an int64 type: " + element);
  }

  private static float floatValue(DataType element, SpecializedGetters src, int j) {
    if (element instanceof DoubleType) {
      return (float) src.getDouble(j);
    } else if (element instanceof DecimalType) {
      DecimalType d = (DecimalType) element;
      return (float) src.getDecimal(j, d.precision(), d.scale()).toDouble();
    }
    return src.getFloat(j);
  }
}
