package org.sparktf.core.columnar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.sparktf.core.FeedBatch;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Rows in columns: each column a primitive array (row-major for 1-D rows), ready to become a tensor
 * with one bulk copy. Immutable; slices share nothing with their source.
 */
public class ColumnBatch implements FeedBatch {
  /** The tensor type of a column. */
  enum Kind {
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    BOOL,
    BYTES
  }

  /** One column: {@code width} values per row, {@code scalar} when rows are not arrays. */
  static final class Column {
    final String name;
    final Kind kind;
    final boolean scalar;
    final int width;
    final Object data; // float[], double[], int[], long[], boolean[] or byte[][]
    final int offset; // index of this column's first value in data: slices share arrays

    Column(String name, Kind kind, boolean scalar, int width, Object data) {
      this(name, kind, scalar, width, data, 0);
    }

    Column(String name, Kind kind, boolean scalar, int width, Object data, int offset) {
      this.name = name;
      this.kind = kind;
      this.scalar = scalar;
      this.width = width;
      this.data = data;
      this.offset = offset;
    }

    Shape shape(int rows) {
      return scalar ? Shape.of(rows) : Shape.of(rows, width);
    }
  }

  final int rows;
  final List<Column> columns;

  ColumnBatch(int rows, List<Column> columns) {
    this.rows = rows;
    this.columns = List.copyOf(columns);
  }

  /** A view of {@code other}'s rows, for subclasses that add behaviour (e.g. responding). */
  protected ColumnBatch(ColumnBatch other) {
    this(other.rows, other.columns);
  }

  /** A batch of no rows whose columns carry {@code names}. */
  public static ColumnBatch empty(List<String> names) {
    List<Column> columns = new ArrayList<>();
    for (String name : names) {
      columns.add(new Column(name, Kind.FLOAT32, true, 1, new float[0]));
    }
    return new ColumnBatch(0, columns);
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public List<String> columns() {
    List<String> names = new ArrayList<>();
    for (Column column : columns) {
      names.add(column.name);
    }
    return names;
  }

  Column column(String name) {
    for (Column column : columns) {
      if (column.name.equals(name)) {
        return column;
      }
    }
    throw new IllegalArgumentException(
        "Invalid column: '" + name + "'; the feed has " + String.join(", ", columns()));
  }

  @Override
  public Tensor tensor(String name) {
    Column c = column(name);
    Shape shape = c.shape(rows);
    long n = shape.size();
    switch (c.kind) {
      case FLOAT32:
        return TFloat32.tensorOf(
            shape, DataBuffers.of((float[]) c.data, true, false).slice(c.offset, n));
      case FLOAT64:
        return TFloat64.tensorOf(
            shape, DataBuffers.of((double[]) c.data, true, false).slice(c.offset, n));
      case INT32:
        return TInt32.tensorOf(
            shape, DataBuffers.of((int[]) c.data, true, false).slice(c.offset, n));
      case INT64:
        return TInt64.tensorOf(
            shape, DataBuffers.of((long[]) c.data, true, false).slice(c.offset, n));
      case BOOL:
        return TBool.tensorOf(
            shape, DataBuffers.of((boolean[]) c.data, true, false).slice(c.offset, n));
      default:
        return strings(name);
    }
  }

  @Override
  public TFloat32 float32(String name) {
    Column c = column(name);
    if (c.kind == Kind.FLOAT32) {
      return (TFloat32) tensor(name);
    }
    double[] values = asDoubles(c);
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = (float) values[i];
    }
    return TFloat32.tensorOf(c.shape(rows), DataBuffers.of(floats, true, false));
  }

  @Override
  public TFloat64 float64(String name) {
    Column c = column(name);
    return TFloat64.tensorOf(c.shape(rows), DataBuffers.of(asDoubles(c), true, false));
  }

  @Override
  public TInt32 int32(String name) {
    Column c = column(name);
    if (c.kind == Kind.INT32) {
      return (TInt32) tensor(name);
    }
    long[] values = asLongs(c);
    int[] ints = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      ints[i] = (int) values[i];
    }
    return TInt32.tensorOf(c.shape(rows), DataBuffers.of(ints, true, false));
  }

  @Override
  public TInt64 int64(String name) {
    Column c = column(name);
    return TInt64.tensorOf(c.shape(rows), DataBuffers.of(asLongs(c), true, false));
  }

  @Override
  public TString strings(String name) {
    Column c = column(name);
    if (c.kind != Kind.BYTES) {
      throw new IllegalArgumentException(
          "Invalid column: '" + name + "' holds " + c.kind + " values, not strings or bytes");
    }
    byte[][] values = Arrays.copyOfRange((byte[][]) c.data, c.offset, c.offset + rows * c.width);
    return TString.tensorOfBytes(NdArrays.wrap(c.shape(rows), DataBuffers.ofObjects(values)));
  }

  @Override
  public void respond(Map<String, ? extends Tensor> outputs) {
    throw new IllegalStateException(
        "Cannot respond: this batch came from a training feed; only batches fed by"
            + " TFCluster.inference take results");
  }

  /** Rows [from, to) as a new batch sharing this batch's arrays (nothing is copied). */
  public ColumnBatch slice(int from, int to) {
    List<Column> sliced = new ArrayList<>();
    for (Column c : columns) {
      sliced.add(new Column(c.name, c.kind, c.scalar, c.width, c.data, c.offset + from * c.width));
    }
    return new ColumnBatch(to - from, sliced);
  }

  /** The rows of several batches of the same columns, in order. */
  public static ColumnBatch concat(List<ColumnBatch> batches) {
    if (batches.size() == 1) {
      return batches.get(0);
    }
    ColumnBatch first = batches.get(0);
    int rows = 0;
    for (ColumnBatch batch : batches) {
      rows += batch.rows;
    }
    List<Column> merged = new ArrayList<>();
    for (int col = 0; col < first.columns.size(); col++) {
      Column head = first.columns.get(col);
      for (ColumnBatch batch : batches) {
        Column c = batch.columns.get(col);
        if (!c.name.equals(head.name) || c.kind != head.kind || c.width != head.width) {
          throw new IllegalArgumentException(
              "Cannot batch column '"
                  + head.name
                  + "': rows of width "
                  + head.width
                  + " and "
                  + c.width
                  + " (or of different types) were fed; every row must have the same shape");
        }
      }
      Object data = newArray(head.kind, rows * head.width);
      int offset = 0;
      for (ColumnBatch batch : batches) {
        int length = batch.rows * head.width;
        Column part = batch.columns.get(col);
        System.arraycopy(part.data, part.offset, data, offset, length);
        offset += length;
      }
      merged.add(new Column(head.name, head.kind, head.scalar, head.width, data));
    }
    return new ColumnBatch(rows, merged);
  }

  static Object newArray(Kind kind, int length) {
    switch (kind) {
      case FLOAT32:
        return new float[length];
      case FLOAT64:
        return new double[length];
      case INT32:
        return new int[length];
      case INT64:
        return new long[length];
      case BOOL:
        return new boolean[length];
      default:
        return new byte[length][];
    }
  }

  private double[] asDoubles(Column c) {
    int n = rows * c.width;
    int o = c.offset;
    double[] out = new double[n];
    switch (c.kind) {
      case FLOAT32:
        for (int i = 0; i < n; i++) {
          out[i] = ((float[]) c.data)[o + i];
        }
        return out;
      case FLOAT64:
        return Arrays.copyOfRange((double[]) c.data, o, o + n);
      case INT32:
        for (int i = 0; i < n; i++) {
          out[i] = ((int[]) c.data)[o + i];
        }
        return out;
      case INT64:
        for (int i = 0; i < n; i++) {
          out[i] = ((long[]) c.data)[o + i];
        }
        return out;
      default:
        throw notNumeric(c);
    }
  }

  private long[] asLongs(Column c) {
    int n = rows * c.width;
    int o = c.offset;
    long[] out = new long[n];
    switch (c.kind) {
      case FLOAT32:
        for (int i = 0; i < n; i++) {
          out[i] = (long) ((float[]) c.data)[o + i];
        }
        return out;
      case FLOAT64:
        for (int i = 0; i < n; i++) {
          out[i] = (long) ((double[]) c.data)[o + i];
        }
        return out;
      case INT32:
        for (int i = 0; i < n; i++) {
          out[i] = ((int[]) c.data)[o + i];
        }
        return out;
      case INT64:
        return Arrays.copyOfRange((long[]) c.data, o, o + n);
      case BOOL:
        for (int i = 0; i < n; i++) {
          out[i] = ((boolean[]) c.data)[o + i] ? 1 : 0;
        }
        return out;
      default:
        throw notNumeric(c);
    }
  }

  private static IllegalArgumentException notNumeric(Column c) {
    return new IllegalArgumentException(
        "Invalid column: '"
            + c.name
            + "' holds "
            + c.kind
            + " values and cannot be cast to a number");
  }
}
