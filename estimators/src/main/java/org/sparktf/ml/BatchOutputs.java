package org.sparktf.ml;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.sparktf.core.columnar.TensorFrames;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A batch's outputs, copied out of the result tensors once per batch into reusable arrays, seen as
 * one row at a time: {@link #at} moves the row, and no per-row objects are built for numeric
 * outputs. Array outputs are laid out per row as Spark's UnsafeArrayData, so Spark copies each with
 * one memcpy. Rows are views: they change with {@link #at} and {@link #load}; {@link #copy} gives a
 * detached row. Strings and other outputs take the generic per-row path.
 */
final class BatchOutputs extends GenericInternalRow {
  private static final long serialVersionUID = 1L;

  private final String[] names;
  private final Slot[] slots;
  private int row;

  /** One output column of the current batch. */
  private static final class Slot {
    int elementSize; // 0: generic path
    boolean scalar;
    boolean floating; // float or double, not int, long or bool
    int rowBytes; // array outputs: bytes of one row's UnsafeArrayData
    byte[] bytes = new byte[0]; // scalars: the values; arrays: the rows' UnsafeArrayData
    byte[] staging = new byte[0];
    UnsafeArrayData view = new UnsafeArrayData();
    TensorFrames.Column generic;
  }

  BatchOutputs(List<String> names) {
    super(names.size());
    this.names = names.toArray(new String[0]);
    this.slots = new Slot[names.size()];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Slot();
    }
  }

  /** Copies the outputs of a batch of {@code rows} rows out of {@code result}. */
  void load(Result result, int rows) {
    for (int o = 0; o < names.length; o++) {
      String name = names[o];
      Tensor tensor = result.get(name).orElseThrow(() -> TFModelErrors.missingOutput(name));
      Shape shape = tensor.shape();
      if (shape.numDimensions() < 1 || shape.size(0) != rows) {
        throw TFModelErrors.badOutputShape(name, shape, rows);
      }
      Slot slot = slots[o];
      slot.elementSize = elementSize(tensor);
      slot.scalar = shape.numDimensions() == 1;
      slot.floating = tensor instanceof TFloat32 || tensor instanceof TFloat64;
      slot.generic = null;
      if (slot.elementSize == 0) {
        slot.generic = TensorFrames.column(name, tensor, rows);
      } else if (slot.scalar) {
        slot.bytes = fit(slot.bytes, rows * slot.elementSize);
        tensor.asRawTensor().data().read(slot.bytes, 0, rows * slot.elementSize);
      } else {
        loadArrays(slot, tensor, rows, (int) (shape.size() / Math.max(rows, 1)));
      }
    }
    row = 0;
  }

  private static void loadArrays(Slot slot, Tensor tensor, int rows, int width) {
    int values = width * slot.elementSize;
    int header = (int) UnsafeArrayData.calculateHeaderPortionInBytes(width);
    slot.rowBytes = header + ((values + 7) & ~7);
    slot.staging = fit(slot.staging, rows * values);
    tensor.asRawTensor().data().read(slot.staging, 0, rows * values);
    int total = rows * slot.rowBytes;
    if (slot.bytes.length < total) {
      slot.bytes = new byte[total]; // zeroed: no null bits, zero padding
    }
    for (int r = 0; r < rows; r++) {
      long start = Platform.BYTE_ARRAY_OFFSET + (long) r * slot.rowBytes;
      Platform.putLong(slot.bytes, start, width);
      Platform.copyMemory(
          slot.staging,
          Platform.BYTE_ARRAY_OFFSET + (long) r * values,
          slot.bytes,
          start + header,
          values);
    }
  }

  private static byte[] fit(byte[] array, int length) {
    return array.length >= length ? array : new byte[Math.max(length, array.length * 2)];
  }

  private static int elementSize(Tensor tensor) {
    if (tensor instanceof TFloat32 || tensor instanceof TInt32) {
      return 4;
    } else if (tensor instanceof TFloat64 || tensor instanceof TInt64) {
      return 8;
    } else if (tensor instanceof TBool) {
      return 1;
    }
    return 0;
  }

  /** Makes this the view of row {@code r} of the loaded batch. */
  BatchOutputs at(int r) {
    this.row = r;
    return this;
  }

  private long offset(int ordinal) {
    return Platform.BYTE_ARRAY_OFFSET + (long) row * slots[ordinal].elementSize;
  }

  @Override
  public boolean isNullAt(int ordinal) {
    return false; // outputs are never null; the schema says so
  }

  @Override
  public float getFloat(int ordinal) {
    return Platform.getFloat(slots[ordinal].bytes, offset(ordinal));
  }

  @Override
  public double getDouble(int ordinal) {
    return Platform.getDouble(slots[ordinal].bytes, offset(ordinal));
  }

  @Override
  public int getInt(int ordinal) {
    return Platform.getInt(slots[ordinal].bytes, offset(ordinal));
  }

  @Override
  public long getLong(int ordinal) {
    return Platform.getLong(slots[ordinal].bytes, offset(ordinal));
  }

  @Override
  public boolean getBoolean(int ordinal) {
    return Platform.getByte(slots[ordinal].bytes, offset(ordinal)) != 0;
  }

  @Override
  public ArrayData getArray(int ordinal) {
    return (ArrayData) genericGet(ordinal);
  }

  @Override
  public UTF8String getUTF8String(int ordinal) {
    return (UTF8String) genericGet(ordinal);
  }

  @Override
  public Object genericGet(int ordinal) {
    Slot slot = slots[ordinal];
    if (slot.generic != null) {
      return catalyst(slot.generic.value(row));
    }
    if (!slot.scalar) {
      slot.view.pointTo(
          slot.bytes, Platform.BYTE_ARRAY_OFFSET + (long) row * slot.rowBytes, slot.rowBytes);
      return slot.view;
    }
    switch (slot.elementSize) {
      case 1:
        return getBoolean(ordinal);
      case 4:
        return slot.floating ? (Object) getFloat(ordinal) : (Object) getInt(ordinal);
      default:
        return slot.floating ? (Object) getDouble(ordinal) : (Object) getLong(ordinal);
    }
  }

  /** A generic-path value in Spark's internal representation. */
  private static Object catalyst(Object value) {
    if (value instanceof float[]) {
      return UnsafeArrayData.fromPrimitiveArray((float[]) value);
    } else if (value instanceof double[]) {
      return UnsafeArrayData.fromPrimitiveArray((double[]) value);
    } else if (value instanceof int[]) {
      return UnsafeArrayData.fromPrimitiveArray((int[]) value);
    } else if (value instanceof long[]) {
      return UnsafeArrayData.fromPrimitiveArray((long[]) value);
    } else if (value instanceof boolean[]) {
      return UnsafeArrayData.fromPrimitiveArray((boolean[]) value);
    } else if (value instanceof String) {
      return UTF8String.fromString((String) value);
    } else if (value instanceof String[]) {
      String[] strings = (String[]) value;
      Object[] utf8 = new Object[strings.length];
      for (int i = 0; i < strings.length; i++) {
        utf8[i] = UTF8String.fromString(strings[i]);
      }
      return new GenericArrayData(utf8);
    }
    return value;
  }
}
