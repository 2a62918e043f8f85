package org.sparktf.core.columnar;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.sparktf.core.columnar.ColumnBatch.Kind;
import org.sparktf.core.columnar.FeedSchema.Source;

/**
 * Collects Spark rows into columns and writes them as one frame. Reads Spark's internal rows
 * directly, so arrays come out with one bulk copy ({@code toFloatArray()}), never boxed. Not
 * thread-safe: one per feeding task.
 */
public final class ColumnBatchEncoder {
  static final int MAGIC = 0x53544642; // "STFB"

  private final FeedSchema schema;
  private final Builder[] builders;
  private final VectorUDT vectors = new VectorUDT();
  private int rows;
  private long rowsSeen;
  // Little-endian, the native order of x86 and ARM: bulk copies need no byte swapping.
  private ByteBuffer scratch = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

  public ColumnBatchEncoder(FeedSchema schema) {
    this.schema = schema;
    this.builders = new Builder[schema.names.length];
    for (int i = 0; i < builders.length; i++) {
      builders[i] =
          new Builder(schema.names[i], kind(schema.sources[i]), isScalar(schema.sources[i]));
    }
  }

  /** Rows collected since the last write. */
  public int rows() {
    return rows;
  }

  /** Approximate bytes collected since the last write. */
  public long bytes() {
    long total = 0;
    for (Builder builder : builders) {
      total += builder.bytes;
    }
    return total;
  }

  /** Adds one row; copies its values, so Spark may reuse the row afterwards. */
  public void add(InternalRow row) {
    for (int i = 0; i < builders.length; i++) {
      int ordinal = schema.ordinals[i];
      if (row.isNullAt(ordinal)) {
        throw new IllegalArgumentException(
            "Cannot feed column '"
                + schema.names[i]
                + "': row "
                + rowsSeen
                + " of the partition is null; drop or fill nulls first (df.na().drop() or"
                + " df.na().fill(...))");
      }
      append(builders[i], schema.sources[i], row, ordinal);
    }
    rows++;
    rowsSeen++;
  }

  /** Writes the collected rows as one frame and starts a new one. */
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(rows);
    out.writeInt(builders.length);
    for (Builder builder : builders) {
      builder.write(out, rows);
    }
    rows = 0;
  }

  /** The collected rows as a batch (no wire), for tests and in-process use. */
  public ColumnBatch toBatch() {
    java.util.List<ColumnBatch.Column> columns = new java.util.ArrayList<>();
    for (Builder builder : builders) {
      columns.add(builder.column(rows));
    }
    ColumnBatch batch = new ColumnBatch(rows, columns);
    for (Builder builder : builders) {
      builder.reset();
    }
    rows = 0;
    return batch;
  }

  private void append(Builder b, Source source, InternalRow row, int ordinal) {
    switch (source) {
      case BOOLEAN:
        b.addBoolean(row.getBoolean(ordinal));
        break;
      case BYTE:
        b.addInt(row.getByte(ordinal));
        break;
      case SHORT:
        b.addInt(row.getShort(ordinal));
        break;
      case INT:
        b.addInt(row.getInt(ordinal));
        break;
      case LONG:
        b.addLong(row.getLong(ordinal));
        break;
      case FLOAT:
        b.addFloat(row.getFloat(ordinal));
        break;
      case DOUBLE:
        b.addDouble(row.getDouble(ordinal));
        break;
      case STRING:
        b.addBytes(row.getUTF8String(ordinal).getBytes());
        break;
      case BINARY:
        b.addBytes(row.getBinary(ordinal));
        break;
      case VECTOR:
        double[] vector = vectors.deserialize(row.getStruct(ordinal, 4)).toArray();
        b.width(vector.length, rowsSeen);
        b.addDoubles(vector);
        break;
      default:
        ArrayData array = row.getArray(ordinal);
        b.width(array.numElements(), rowsSeen);
        if (source == Source.FLOAT_ARRAY) {
          b.addFloats(array.toFloatArray());
        } else if (source == Source.DOUBLE_ARRAY) {
          b.addDoubles(array.toDoubleArray());
        } else if (source == Source.INT_ARRAY) {
          b.addInts(array.toIntArray());
        } else {
          b.addLongs(array.toLongArray());
        }
    }
  }

  private static Kind kind(Source source) {
    switch (source) {
      case BOOLEAN:
        return Kind.BOOL;
      case BYTE:
      case SHORT:
      case INT:
      case INT_ARRAY:
        return Kind.INT32;
      case LONG:
      case LONG_ARRAY:
        return Kind.INT64;
      case FLOAT:
      case FLOAT_ARRAY:
        return Kind.FLOAT32;
      case DOUBLE:
      case DOUBLE_ARRAY:
      case VECTOR:
        return Kind.FLOAT64;
      default:
        return Kind.BYTES;
    }
  }

  private static boolean isScalar(Source source) {
    switch (source) {
      case INT_ARRAY:
      case LONG_ARRAY:
      case FLOAT_ARRAY:
      case DOUBLE_ARRAY:
      case VECTOR:
        return false;
      default:
        return true;
    }
  }

  /** A growable primitive column. */
  private final class Builder {
    final String name;
    final Kind kind;
    final boolean scalar;
    int width;
    int size;
    long bytes;
    Object data;

    Builder(String name, Kind kind, boolean scalar) {
      this.name = name;
      this.kind = kind;
      this.scalar = scalar;
      this.width = scalar ? 1 : -1;
      reset();
    }

    void reset() {
      // Batches tend to be alike: start the next one as large as this one was, so it never grows.
      data = ColumnBatch.newArray(kind, Math.max(256, size));
      size = 0;
      bytes = 0;
      if (!scalar) {
        width = -1;
      }
    }

    void width(int rowWidth, long row) {
      if (width < 0) {
        width = rowWidth;
      } else if (width != rowWidth) {
        throw new IllegalArgumentException(
            "Cannot feed column '"
                + name
                + "': row "
                + row
                + " of the partition has "
                + rowWidth
                + " values, earlier rows of its batch have "
                + width
                + "; every row of a fed array or vector column must have the same length");
      }
    }

    private void ensure(int extra) {
      int capacity = java.lang.reflect.Array.getLength(data);
      if (size + extra > capacity) {
        int grown = Math.max(size + extra, capacity * 2);
        Object bigger = ColumnBatch.newArray(kind, grown);
        System.arraycopy(data, 0, bigger, 0, size);
        data = bigger;
      }
    }

    void addBoolean(boolean v) {
      ensure(1);
      ((boolean[]) data)[size++] = v;
      bytes += 1;
    }

    void addInt(int v) {
      ensure(1);
      ((int[]) data)[size++] = v;
      bytes += 4;
    }

    void addLong(long v) {
      ensure(1);
      ((long[]) data)[size++] = v;
      bytes += 8;
    }

    void addFloat(float v) {
      ensure(1);
      ((float[]) data)[size++] = v;
      bytes += 4;
    }

    void addDouble(double v) {
      ensure(1);
      ((double[]) data)[size++] = v;
      bytes += 8;
    }

    void addBytes(byte[] v) {
      ensure(1);
      ((byte[][]) data)[size++] = v;
      bytes += 4 + v.length;
    }

    void addFloats(float[] v) {
      ensure(v.length);
      System.arraycopy(v, 0, data, size, v.length);
      size += v.length;
      bytes += 4L * v.length;
    }

    void addDoubles(double[] v) {
      ensure(v.length);
      System.arraycopy(v, 0, data, size, v.length);
      size += v.length;
      bytes += 8L * v.length;
    }

    void addInts(int[] v) {
      ensure(v.length);
      System.arraycopy(v, 0, data, size, v.length);
      size += v.length;
      bytes += 4L * v.length;
    }

    void addLongs(long[] v) {
      ensure(v.length);
      System.arraycopy(v, 0, data, size, v.length);
      size += v.length;
      bytes += 8L * v.length;
    }

    /** Hands this builder's array to a column (no copy); the caller then resets the builder. */
    ColumnBatch.Column column(int rows) {
      return new ColumnBatch.Column(name, kind, scalar, Math.max(width, 0), data);
    }

    void write(DataOutputStream out, int rows) throws IOException {
      int w = Math.max(width, 0);
      out.writeUTF(name);
      out.writeByte(kind.ordinal());
      out.writeBoolean(scalar);
      out.writeInt(w);
      int n = rows * w;
      switch (kind) {
        case FLOAT32:
          writeBulk(out, n * 4, buffer -> buffer.asFloatBuffer().put((float[]) data, 0, n));
          break;
        case FLOAT64:
          writeBulk(out, n * 8, buffer -> buffer.asDoubleBuffer().put((double[]) data, 0, n));
          break;
        case INT32:
          writeBulk(out, n * 4, buffer -> buffer.asIntBuffer().put((int[]) data, 0, n));
          break;
        case INT64:
          writeBulk(out, n * 8, buffer -> buffer.asLongBuffer().put((long[]) data, 0, n));
          break;
        case BOOL:
          byte[] flags = new byte[n];
          for (int i = 0; i < n; i++) {
            flags[i] = (byte) (((boolean[]) data)[i] ? 1 : 0);
          }
          out.write(flags);
          break;
        default:
          byte[][] values = (byte[][]) data;
          for (int i = 0; i < n; i++) {
            out.writeInt(values[i].length);
          }
          for (int i = 0; i < n; i++) {
            out.write(values[i]);
          }
      }
      reset();
    }
  }

  private interface Filler {
    void fill(ByteBuffer buffer);
  }

  private void writeBulk(DataOutputStream out, int length, Filler filler) throws IOException {
    if (scratch.capacity() < length) {
      scratch =
          ByteBuffer.allocate(Math.max(length, scratch.capacity() * 2))
              .order(ByteOrder.LITTLE_ENDIAN);
    }
    scratch.clear();
    filler.fill(scratch);
    out.write(scratch.array(), 0, length);
  }

  @Override
  public String toString() {
    return "ColumnBatchEncoder" + Arrays.toString(schema.names);
  }
}
