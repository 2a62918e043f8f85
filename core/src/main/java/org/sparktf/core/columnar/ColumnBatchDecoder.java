package org.sparktf.core.columnar;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.sparktf.core.columnar.ColumnBatch.Kind;

/** Reads frames written by {@link ColumnBatchEncoder}, refusing any size it has not checked. */
public final class ColumnBatchDecoder {
  private static final int MAX_COLUMNS = 4096;

  private final long maxFrameBytes;
  private byte[] scratch = new byte[1 << 16];

  /**
   * @param maxFrameBytes the largest frame accepted; larger ones are refused before allocation
   */
  public ColumnBatchDecoder(long maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  public ColumnBatch read(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != ColumnBatchEncoder.MAGIC) {
      throw new IOException("Invalid feed frame: bad magic number " + Integer.toHexString(magic));
    }
    int rows = in.readInt();
    int count = in.readInt();
    if (rows < 0 || count < 0 || count > MAX_COLUMNS) {
      throw new IOException("Invalid feed frame: " + rows + " rows, " + count + " columns");
    }
    long budget = maxFrameBytes;
    List<ColumnBatch.Column> columns = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      String name = in.readUTF();
      int kindIndex = in.readUnsignedByte();
      boolean scalar = in.readBoolean();
      int width = in.readInt();
      if (kindIndex >= Kind.values().length || width < 0 || (scalar && width != 1)) {
        throw new IOException("Invalid feed frame: column '" + name + "' has a bad header");
      }
      Kind kind = Kind.values()[kindIndex];
      long n = (long) rows * width;
      long bytes = n * elementBytes(kind);
      if (bytes > budget || n > Integer.MAX_VALUE) {
        throw new IOException(
            "Invalid feed frame: column '"
                + name
                + "' declares "
                + bytes
                + " bytes, over the "
                + maxFrameBytes
                + "-byte frame limit");
      }
      budget -= bytes;
      columns.add(
          new ColumnBatch.Column(name, kind, scalar, width, readData(in, kind, (int) n, budget)));
    }
    return new ColumnBatch(rows, columns);
  }

  private Object readData(DataInputStream in, Kind kind, int n, long budget) throws IOException {
    switch (kind) {
      case FLOAT32:
        {
          float[] values = new float[n];
          bulk(in, n * 4).asFloatBuffer().get(values);
          return values;
        }
      case FLOAT64:
        {
          double[] values = new double[n];
          bulk(in, n * 8).asDoubleBuffer().get(values);
          return values;
        }
      case INT32:
        {
          int[] values = new int[n];
          bulk(in, n * 4).asIntBuffer().get(values);
          return values;
        }
      case INT64:
        {
          long[] values = new long[n];
          bulk(in, n * 8).asLongBuffer().get(values);
          return values;
        }
      case BOOL:
        {
          boolean[] values = new boolean[n];
          ByteBuffer flags = bulk(in, n);
          for (int i = 0; i < n; i++) {
            values[i] = flags.get(i) != 0;
          }
          return values;
        }
      default:
        {
          int[] lengths = new int[n];
          long total = 0;
          for (int i = 0; i < n; i++) {
            lengths[i] = in.readInt();
            total += lengths[i];
            if (lengths[i] < 0 || total > budget) {
              throw new IOException("Invalid feed frame: string values exceed the frame limit");
            }
          }
          byte[][] values = new byte[n][];
          for (int i = 0; i < n; i++) {
            values[i] = new byte[lengths[i]];
            in.readFully(values[i]);
          }
          return values;
        }
    }
  }

  private ByteBuffer bulk(DataInputStream in, int length) throws IOException {
    if (scratch.length < length) {
      scratch = new byte[Math.max(length, scratch.length * 2)];
    }
    in.readFully(scratch, 0, length);
    return ByteBuffer.wrap(scratch, 0, length).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long elementBytes(Kind kind) {
    switch (kind) {
      case FLOAT64:
      case INT64:
        return 8;
      case FLOAT32:
      case INT32:
      case BYTES:
        return 4;
      default:
        return 1;
    }
  }
}
