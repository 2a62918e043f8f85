package org.sparktf.core.columnar;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Inference results on the wire: named tensors whose first dimension is the row count, written by
 * the worker and turned back into per-row values by the feeding task.
 */
public final class TensorFrames {
  private static final int MAGIC = 0x53544652; // "STFR"
  private static final int MAX_COLUMNS = 1024;

  private TensorFrames() {}

  /** One decoded output column. */
  public static final class Column {
    final String name;
    final char kind; // f=float, d=double, i=int, l=long, b=boolean, s=string
    final int rowSize;
    final boolean scalar;
    final Object data;

    Column(String name, char kind, int rowSize, boolean scalar, Object data) {
      this.name = name;
      this.kind = kind;
      this.rowSize = rowSize;
      this.scalar = scalar;
      this.data = data;
    }

    public String name() {
      return name;
    }

    /** The value of one row: a boxed scalar, a String, or a primitive array. */
    public Object value(int row) {
      if (scalar) {
        switch (kind) {
          case 'f':
            return ((float[]) data)[row];
          case 'd':
            return ((double[]) data)[row];
          case 'i':
            return ((int[]) data)[row];
          case 'l':
            return ((long[]) data)[row];
          case 'b':
            return ((boolean[]) data)[row];
          default:
            return new String(((byte[][]) data)[row], StandardCharsets.UTF_8);
        }
      }
      int from = row * rowSize;
      switch (kind) {
        case 'f':
          return java.util.Arrays.copyOfRange((float[]) data, from, from + rowSize);
        case 'd':
          return java.util.Arrays.copyOfRange((double[]) data, from, from + rowSize);
        case 'i':
          return java.util.Arrays.copyOfRange((int[]) data, from, from + rowSize);
        case 'l':
          return java.util.Arrays.copyOfRange((long[]) data, from, from + rowSize);
        case 'b':
          return java.util.Arrays.copyOfRange((boolean[]) data, from, from + rowSize);
        default:
          List<String> strings = new ArrayList<>();
          for (int i = from; i < from + rowSize; i++) {
            strings.add(new String(((byte[][]) data)[i], StandardCharsets.UTF_8));
          }
          return strings.toArray(new String[0]);
      }
    }
  }

  /** Copies a tensor whose first dimension is {@code rows} into a column of per-row values. */
  public static Column column(String name, Tensor tensor, int rows) {
    Shape shape = tensor.shape();
    if (shape.numDimensions() < 1 || shape.size(0) != rows) {
      throw new IllegalArgumentException(
          "Invalid output '"
              + name
              + "': shape "
              + shape
              + ", expected a first dimension of "
              + rows
              + " (one value per input row)");
    }
    int total = (int) shape.size();
    int rowSize = rows == 0 ? 0 : total / rows;
    boolean scalar = shape.numDimensions() == 1;
    if (tensor instanceof TFloat32) {
      float[] values = new float[total];
      ((TFloat32) tensor).copyTo(DataBuffers.of(values, false, false));
      return new Column(name, 'f', rowSize, scalar, values);
    } else if (tensor instanceof TFloat64) {
      double[] values = new double[total];
      ((TFloat64) tensor).copyTo(DataBuffers.of(values, false, false));
      return new Column(name, 'd', rowSize, scalar, values);
    } else if (tensor instanceof TInt32) {
      int[] values = new int[total];
      ((TInt32) tensor).copyTo(DataBuffers.of(values, false, false));
      return new Column(name, 'i', rowSize, scalar, values);
    } else if (tensor instanceof TInt64) {
      long[] values = new long[total];
      ((TInt64) tensor).copyTo(DataBuffers.of(values, false, false));
      return new Column(name, 'l', rowSize, scalar, values);
    } else if (tensor instanceof TBool) {
      boolean[] values = new boolean[total];
      ((TBool) tensor).copyTo(DataBuffers.of(values, false, false));
      return new Column(name, 'b', rowSize, scalar, values);
    } else if (tensor instanceof TString) {
      byte[][] values = new byte[total][];
      int[] next = {0};
      ((TString) tensor).asBytes().scalars().forEach(s -> values[next[0]++] = s.getObject());
      return new Column(name, 's', rowSize, scalar, values);
    }
    throw new IllegalArgumentException(
        "Invalid output '"
            + name
            + "': type "
            + tensor.dataType()
            + " is not supported; use float32, float64, int32, int64, bool or string");
  }

  /** Writes the outputs of {@code rows} rows. */
  public static void write(Map<String, ? extends Tensor> outputs, int rows, DataOutputStream out)
      throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(rows);
    out.writeInt(outputs.size());
    for (Map.Entry<String, ? extends Tensor> entry : outputs.entrySet()) {
      Column column = column(entry.getKey(), entry.getValue(), rows);
      out.writeUTF(column.name);
      out.writeBoolean(column.scalar);
      out.writeInt(column.rowSize);
      out.writeByte(column.kind);
      writeData(column, out);
    }
  }

  private static void writeData(Column column, DataOutputStream out) throws IOException {
    switch (column.kind) {
      case 'f':
        for (float v : (float[]) column.data) {
          out.writeFloat(v);
        }
        break;
      case 'd':
        for (double v : (double[]) column.data) {
          out.writeDouble(v);
        }
        break;
      case 'i':
        for (int v : (int[]) column.data) {
          out.writeInt(v);
        }
        break;
      case 'l':
        for (long v : (long[]) column.data) {
          out.writeLong(v);
        }
        break;
      case 'b':
        for (boolean v : (boolean[]) column.data) {
          out.writeBoolean(v);
        }
        break;
      default:
        for (byte[] v : (byte[][]) column.data) {
          out.writeInt(v.length);
          out.write(v);
        }
    }
  }

  /** Decoded outputs of some rows. */
  public static final class Result {
    public final int rows;
    public final Map<String, Column> columns;

    Result(int rows, Map<String, Column> columns) {
      this.rows = rows;
      this.columns = columns;
    }
  }

  /** Reads one frame of outputs for at most {@code maxRows} rows. */
  public static Result read(DataInputStream in, int maxRows, long maxBytes) throws IOException {
    if (in.readInt() != MAGIC) {
      throw new IOException("Invalid inference result frame: bad magic number");
    }
    int rows = in.readInt();
    if (rows < 0 || rows > maxRows) {
      throw new IOException(
          "Invalid inference result: " + rows + " rows when " + maxRows + " rows await results");
    }
    int columns = in.readInt();
    if (columns < 0 || columns > MAX_COLUMNS) {
      throw new IOException("Invalid inference result frame: " + columns + " columns");
    }
    Map<String, Column> result = new LinkedHashMap<>();
    for (int c = 0; c < columns; c++) {
      String name = in.readUTF();
      boolean scalar = in.readBoolean();
      int rowSize = in.readInt();
      long total = (long) rowSize * rows;
      if (rowSize < 0 || total * 8 > maxBytes) {
        throw new IOException("Invalid inference result frame: column " + name + " too large");
      }
      char kind = (char) in.readByte();
      result.put(
          name, new Column(name, kind, rowSize, scalar, readData(in, kind, (int) total, maxBytes)));
    }
    return new Result(rows, result);
  }

  private static Object readData(DataInputStream in, char kind, int total, long maxBytes)
      throws IOException {
    switch (kind) {
      case 'f':
        {
          float[] values = new float[total];
          for (int i = 0; i < total; i++) {
            values[i] = in.readFloat();
          }
          return values;
        }
      case 'd':
        {
          double[] values = new double[total];
          for (int i = 0; i < total; i++) {
            values[i] = in.readDouble();
          }
          return values;
        }
      case 'i':
        {
          int[] values = new int[total];
          for (int i = 0; i < total; i++) {
            values[i] = in.readInt();
          }
          return values;
        }
      case 'l':
        {
          long[] values = new long[total];
          for (int i = 0; i < total; i++) {
            values[i] = in.readLong();
          }
          return values;
        }
      case 'b':
        {
          boolean[] values = new boolean[total];
          for (int i = 0; i < total; i++) {
            values[i] = in.readBoolean();
          }
          return values;
        }
      case 's':
        {
          byte[][] values = new byte[total][];
          for (int i = 0; i < total; i++) {
            int length = in.readInt();
            if (length < 0 || length > maxBytes) {
              throw new IOException(
                  "Invalid inference result frame: string of " + length + " bytes");
            }
            values[i] = new byte[length];
            in.readFully(values[i]);
          }
          return values;
        }
      default:
        throw new IOException("Invalid inference result frame: unknown type " + kind);
    }
  }
}
