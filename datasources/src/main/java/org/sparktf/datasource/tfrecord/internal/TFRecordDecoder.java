package org.sparktf.datasource.tfrecord.internal;

import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.TFRecordType;
import org.sparktf.datasource.tfrecord.internal.ColumnShape.Shape;

/**
 * Decodes Example / SequenceExample wire bytes (or raw bytes) into rows of the required schema.
 * Features that no required column asks for are skipped without decoding their values. The row is
 * reused by the next call. Not thread-safe: one per task.
 *
 * <p>Two outputs: a generic row that the caller projects to an {@code UnsafeRow} (every column
 * type), or, when asked for and every column allows it ({@link DirectRowWriter#supports}), an
 * {@code UnsafeRow} written straight from the record buffer ({@link #writesUnsafeRows()}).
 */
public final class TFRecordDecoder {
  private static final int MAIN = 0;
  private static final int VECTOR_INDICES = 1;
  private static final int VECTOR_VALUES = 2;
  private static final int VECTOR_SIZE = 3;

  private final TFRecordType type;
  private final String[] names;
  private final ColumnShape[] shapes;
  private final boolean[] nullable;
  private final KeyIndex context;
  private final KeyIndex featureLists;
  private final InternalRow row;
  private final boolean[] seen;
  private final VectorParts[] vectors;
  private final WireReader reader = new WireReader();
  private final FeatureValues values = new FeatureValues();
  private final int[] entry = new int[4];
  private final DirectRowWriter direct;

  /**
   * A decoder to generic rows.
   *
   * @param corruptRecordColumn a column the reader fills itself (left null here), or null
   */
  public TFRecordDecoder(StructType requiredSchema, TFRecordType type, String corruptRecordColumn) {
    this(requiredSchema, type, corruptRecordColumn, false);
  }

  /**
   * @param corruptRecordColumn a column the reader fills itself (left null here), or null
   * @param directRows write {@code UnsafeRow}s straight from the record buffer where every column
   *     of the schema allows it; see {@link #writesUnsafeRows()}
   */
  public TFRecordDecoder(
      StructType requiredSchema,
      TFRecordType type,
      String corruptRecordColumn,
      boolean directRows) {
    this.type = type;
    int n = requiredSchema.length();
    this.names = requiredSchema.fieldNames();
    this.shapes = new ColumnShape[n];
    this.nullable = new boolean[n];
    this.seen = new boolean[n];
    this.vectors = new VectorParts[n];
    this.context = new KeyIndex(n * 4);
    this.featureLists = new KeyIndex(n);
    this.direct =
        directRows && DirectRowWriter.supports(requiredSchema, type, corruptRecordColumn)
            ? new DirectRowWriter(n)
            : null;
    this.row = direct == null ? new SpecificInternalRow(requiredSchema) : null;
    for (int i = 0; i < n; i++) {
      StructField field = requiredSchema.fields()[i];
      nullable[i] = field.nullable() || field.name().equals(corruptRecordColumn);
      if (field.name().equals(corruptRecordColumn) || type == TFRecordType.BYTE_ARRAY) {
        continue;
      }
      shapes[i] = ColumnShape.of(field.dataType());
      if (shapes[i] == null) {
        throw TFRecordErrors.unsupportedType("read", field.name(), field.dataType());
      }
      register(i);
    }
  }

  private void register(int i) {
    ColumnShape shape = shapes[i];
    if (shape.shape == Shape.NESTED) {
      featureLists.put(names[i], slot(i, MAIN));
      return;
    }
    context.put(names[i], slot(i, MAIN));
    if (shape.shape == Shape.VECTOR) {
      vectors[i] = new VectorParts();
      context.put(names[i] + "/indices", slot(i, VECTOR_INDICES));
      context.put(names[i] + "/values", slot(i, VECTOR_VALUES));
      context.put(names[i] + "/size", slot(i, VECTOR_SIZE));
    }
  }

  private static int slot(int column, int part) {
    return column * 4 + part;
  }

  /** Whether {@link #decode} returns {@code UnsafeRow}s, which need no projection. */
  public boolean writesUnsafeRows() {
    return direct != null;
  }

  /**
   * Decodes one record; the returned row is valid until the next call. It is an {@code UnsafeRow}
   * if {@link #writesUnsafeRows()}.
   */
  public InternalRow decode(byte[] buf, int offset, int length) {
    if (direct != null) {
      direct.start();
    }
    for (int i = 0; i < names.length; i++) {
      if (row != null) {
        row.setNullAt(i);
      }
      seen[i] = false;
      if (vectors[i] != null) {
        vectors[i].clear();
      }
    }
    if (type == TFRecordType.BYTE_ARRAY) {
      return rawRecord(buf, offset, length);
    }
    reader.reset(buf, offset, offset + length);
    while (reader.more()) {
      int tag = reader.varint32();
      if (tag == ((1 << 3) | 2)) {
        int end = reader.lengthDelimitedEnd();
        parseMap(end, context);
        reader.pos = end;
      } else if (tag == ((2 << 3) | 2) && type == TFRecordType.SEQUENCE_EXAMPLE) {
        int end = reader.lengthDelimitedEnd();
        parseMap(end, featureLists);
        reader.pos = end;
      } else {
        reader.skip(tag & 7);
      }
    }
    finish();
    return direct != null ? direct.finish() : row;
  }

  private InternalRow rawRecord(byte[] buf, int offset, int length) {
    if (direct == null) {
      if (names.length == 1) {
        row.update(0, Arrays.copyOfRange(buf, offset, offset + length));
      }
      return row;
    }
    if (names.length == 1) {
      direct.bytes(0, buf, offset, length);
    } else {
      for (int i = 0; i < names.length; i++) {
        direct.setNull(i);
      }
    }
    return direct.finish();
  }

  /** Walks a map<string, Feature|FeatureList> message, handling only the indexed keys. */
  private void parseMap(int end, KeyIndex index) {
    reader.forEachMessage(
        1,
        end,
        (entryStart, entryEnd) -> {
          if (!reader.mapEntry(entryStart, entryEnd, entry)) {
            return;
          }
          int slot = index.get(reader.buf, entry[0], entry[1]);
          if (slot < 0) {
            return;
          }
          if (index == featureLists) {
            setFeatureList(slot / 4, entry[2], entry[3]);
          } else {
            setFeature(slot / 4, slot % 4, entry[2], entry[3]);
          }
        });
  }

  private void setFeature(int i, int part, int start, int end) {
    values.parse(reader, start, end);
    ColumnShape shape = shapes[i];
    if (shape.shape == Shape.NULL) {
      return;
    }
    if (shape.shape == Shape.VECTOR) {
      vectors[i].set(part, values, names[i]);
      seen[i] = true;
      return;
    }
    ValueConverter.checkKind(values, shape.kind, names[i], shape.element);
    if (direct != null) {
      if (shape.shape == Shape.SCALAR) {
        direct.scalar(i, values, shape.element, names[i]);
      } else {
        direct.array(i, values, shape.element, names[i]);
      }
    } else if (shape.shape == Shape.SCALAR) {
      ValueConverter.setScalar(row, i, values, shape.element, names[i]);
    } else {
      row.update(i, ValueConverter.array(values, shape.element, names[i]));
    }
    seen[i] = true;
  }

  /** A FeatureList: repeated Feature feature = 1, one inner array per step. */
  private void setFeatureList(int i, int start, int end) {
    ColumnShape shape = shapes[i];
    java.util.List<ArrayData> steps = new java.util.ArrayList<>();
    reader.pos = start;
    reader.forEachMessage(
        1,
        end,
        (featureStart, featureEnd) -> {
          values.parse(reader, featureStart, featureEnd);
          ValueConverter.checkKind(values, shape.kind, names[i], shape.element);
          steps.add(ValueConverter.array(values, shape.element, names[i]));
        });
    row.update(i, new GenericArrayData(steps.toArray()));
    seen[i] = true;
  }

  private void finish() {
    for (int i = 0; i < names.length; i++) {
      if (vectors[i] != null && seen[i]) {
        row.update(i, vectors[i].toVector(names[i]));
      }
      if (!seen[i] && !nullable[i] && shapes[i] != null) {
        throw new TFRecordDecodeException(
            String.format(
                "Invalid record: feature '%s' is missing but column '%s' is not nullable",
                names[i], names[i]));
      }
      if (!seen[i] && direct != null) {
        direct.setNull(i);
      }
    }
  }

  /** The features of one ML vector column: dense values, or sparse indices, values and size. */
  private static final class VectorParts {
    double[] dense;
    int[] indices;
    double[] sparseValues;
    int size = -1;

    void clear() {
      dense = null;
      indices = null;
      sparseValues = null;
      size = -1;
    }

    void set(int part, FeatureValues v, String column) {
      FeatureKind expected =
          part == MAIN || part == VECTOR_VALUES ? FeatureKind.FLOAT : FeatureKind.INT64;
      ValueConverter.checkKind(v, expected, column, DataTypes.DoubleType);
      if (part == MAIN || part == VECTOR_VALUES) {
        double[] d = new double[v.count];
        for (int k = 0; k < v.count; k++) {
          d[k] = v.floats()[k];
        }
        if (part == MAIN) {
          dense = d;
        } else {
          sparseValues = d;
        }
      } else if (part == VECTOR_INDICES) {
        indices = new int[v.count];
        for (int k = 0; k < v.count; k++) {
          indices[k] = (int) v.longs[k];
        }
      } else {
        size = v.count == 1 ? (int) v.longs[0] : -1;
      }
    }

    /** VectorUDT's internal row: (type: 0 sparse / 1 dense, size, indices, values). */
    InternalRow toVector(String column) {
      GenericInternalRow vector = new GenericInternalRow(4);
      if (dense != null) {
        vector.update(0, (byte) 1);
        vector.update(3, ArrayData.toArrayData(dense));
        return vector;
      }
      if (indices == null
          || sparseValues == null
          || size < 0
          || indices.length != sparseValues.length) {
        throw new TFRecordDecodeException(
            String.format(
                "Invalid feature '%s': a sparse vector needs %s/indices, %s/values of the same"
                    + " length and a one-value %s/size",
                column, column, column, column));
      }
      vector.update(0, (byte) 0);
      vector.update(1, size);
      vector.update(2, ArrayData.toArrayData(indices));
      vector.update(3, ArrayData.toArrayData(sparseValues));
      return vector;
    }
  }
}
