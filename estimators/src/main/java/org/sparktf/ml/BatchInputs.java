package org.sparktf.ml;

import static org.tensorflow.proto.DataType.DT_DOUBLE;
import static org.tensorflow.proto.DataType.DT_FLOAT;
import static org.tensorflow.proto.DataType.DT_INT32;
import static org.tensorflow.proto.DataType.DT_INT64;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.Platform;
import org.sparktf.core.columnar.ColumnBatch;
import org.sparktf.core.columnar.ColumnBatchEncoder;
import org.sparktf.core.columnar.FeedSchema;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Turns a batch of copied rows into the signature's input tensors. Arrays whose element type is the
 * input's dtype (the common case: an image as array&lt;float&gt;) are copied straight from the
 * rows' bytes into the tensor's native memory, one bulk copy per row; every other column (scalars,
 * vectors, strings, arrays needing a cast) goes through the feed encoder. One per partition.
 */
final class BatchInputs {
  private final List<Direct> direct = new ArrayList<>();
  private final List<String> encodedColumns = new ArrayList<>();
  private final List<String> encodedInputs = new ArrayList<>();
  private final List<org.tensorflow.proto.DataType> encodedTypes = new ArrayList<>();
  private final ColumnBatchEncoder encoder;
  private final UnsafeRow cursor;
  private long rowsBefore; // rows of the partition in earlier batches, for error messages

  /** An array column copied byte for byte into a tensor of the same element type. */
  private static final class Direct {
    String column;
    String input;
    int ordinal;
    Class<? extends TType> type;
    int elementSize;
    boolean mayHoldNulls;
  }

  BatchInputs(TFModel.Plan plan, RowArena arena) {
    this.cursor = arena.newRow();
    for (int i = 0; i < plan.columns.size(); i++) {
      String column = plan.columns.get(i);
      DataType type = plan.inputSchema.apply(column).dataType();
      Direct d = direct(type, plan.inputTypes.get(i));
      if (d != null) {
        d.column = column;
        d.input = plan.inputs.get(i);
        d.ordinal = plan.inputSchema.fieldIndex(column);
        direct.add(d);
      } else {
        encodedColumns.add(column);
        encodedInputs.add(plan.inputs.get(i));
        encodedTypes.add(plan.inputTypes.get(i));
      }
    }
    this.encoder =
        encodedColumns.isEmpty()
            ? null
            : new ColumnBatchEncoder(FeedSchema.of(plan.inputSchema, encodedColumns));
  }

  private static Direct direct(DataType type, org.tensorflow.proto.DataType dtype) {
    if (!(type instanceof ArrayType)) {
      return null;
    }
    DataType element = ((ArrayType) type).elementType();
    Direct d = new Direct();
    d.mayHoldNulls = ((ArrayType) type).containsNull();
    if (element.equals(DataTypes.FloatType) && dtype == DT_FLOAT) {
      d.type = TFloat32.class;
      d.elementSize = 4;
    } else if (element.equals(DataTypes.DoubleType) && dtype == DT_DOUBLE) {
      d.type = TFloat64.class;
      d.elementSize = 8;
    } else if (element.equals(DataTypes.IntegerType) && dtype == DT_INT32) {
      d.type = TInt32.class;
      d.elementSize = 4;
    } else if (element.equals(DataTypes.LongType) && dtype == DT_INT64) {
      d.type = TInt64.class;
      d.elementSize = 8;
    } else {
      return null;
    }
    return d;
  }

  /**
   * One batch slot's tensors for the direct columns, reused from batch to batch (TensorFlow keeps
   * no reference to a fed tensor once its run returns, and the outputs are copied out before the
   * next fill): this saves allocating and page-faulting megabytes of native memory per batch.
   */
  final class Buffers implements AutoCloseable {
    private final Tensor[] tensors = new Tensor[direct.size()];
    private final ByteDataBuffer[] targets = new ByteDataBuffer[direct.size()];
    private final int[] widths = new int[direct.size()];
    private final List<Tensor> temporaries = new ArrayList<>();

    /** Closes the tensors made for the last batch only (a short batch, encoded columns). */
    void closeTemporaries() {
      temporaries.forEach(Tensor::close);
      temporaries.clear();
    }

    @Override
    public void close() {
      closeTemporaries();
      for (int i = 0; i < tensors.length; i++) {
        if (tensors[i] != null) {
          tensors[i].close();
          tensors[i] = null;
        }
      }
    }
  }

  Buffers newBuffers() {
    return new Buffers();
  }

  /**
   * Copies the direct columns of row {@code index} of the arena, just added and still in cache,
   * into the slot's tensors; the encoded columns go to the encoder.
   */
  void add(RowArena arena, int index, Buffers buffers, int batchSize) {
    arena.pointTo(cursor, index);
    long row = rowsBefore + index;
    byte[] data = arena.data();
    for (int c = 0; c < direct.size(); c++) {
      Direct d = direct.get(c);
      if (cursor.isNullAt(d.ordinal)) {
        throw TFModelErrors.nullValue(d.column, row);
      }
      // An array field holds (offset << 32 | size) relative to the row; the array starts with
      // its element count, then its null bits, then the values.
      long array = cursor.getBaseOffset() + (cursor.getLong(d.ordinal) >> 32);
      int count = (int) Platform.getLong(data, array);
      int header = (int) UnsafeArrayData.calculateHeaderPortionInBytes(count);
      if (index == 0) {
        if (buffers.tensors[c] == null || buffers.widths[c] != count) {
          if (buffers.tensors[c] != null) {
            buffers.tensors[c].close();
          }
          buffers.tensors[c] = Tensor.of(d.type, Shape.of(batchSize, count));
          buffers.targets[c] = buffers.tensors[c].asRawTensor().data();
          buffers.widths[c] = count;
        }
      } else if (count != buffers.widths[c]) {
        throw TFModelErrors.ragged(d.column, row, count, buffers.widths[c]);
      }
      if (d.mayHoldNulls) {
        for (long bits = array + 8; bits < array + header; bits += 8) {
          if (Platform.getLong(data, bits) != 0) {
            throw TFModelErrors.nullElement(d.column, row);
          }
        }
      }
      int bytes = count * d.elementSize;
      if (bytes > 0) {
        int from = (int) (array + header - Platform.BYTE_ARRAY_OFFSET);
        buffers.targets[c].offset((long) index * bytes).write(data, from, bytes);
      }
    }
    if (encoder != null) {
      encoder.add(cursor);
    }
  }

  /** The input tensors of the arena's rows, all added; the slot closes them. */
  Map<String, Tensor> finish(RowArena arena, Buffers buffers, int batchSize) {
    int rows = arena.rows();
    Map<String, Tensor> feeds = new LinkedHashMap<>();
    for (int c = 0; c < direct.size(); c++) {
      Tensor full = buffers.tensors[c];
      if (rows == batchSize) {
        feeds.put(direct.get(c).input, full);
      } else {
        // The partition's last, short batch: a tensor of its own size.
        long bytes = (long) rows * buffers.widths[c] * direct.get(c).elementSize;
        Tensor exact = Tensor.of(direct.get(c).type, Shape.of(rows, buffers.widths[c]));
        buffers.temporaries.add(exact);
        buffers.targets[c].slice(0, bytes).copyTo(exact.asRawTensor().data(), bytes);
        feeds.put(direct.get(c).input, exact);
      }
    }
    if (encoder != null) {
      ColumnBatch batch = encoder.toBatch();
      for (int i = 0; i < encodedColumns.size(); i++) {
        Tensor tensor = encoded(batch, encodedColumns.get(i), encodedTypes.get(i));
        buffers.temporaries.add(tensor);
        feeds.put(encodedInputs.get(i), tensor);
      }
    }
    rowsBefore += rows;
    return feeds;
  }

  private static Tensor encoded(
      ColumnBatch batch, String column, org.tensorflow.proto.DataType type) {
    switch (type) {
      case DT_FLOAT:
        return batch.float32(column);
      case DT_DOUBLE:
        return batch.float64(column);
      case DT_INT32:
        return batch.int32(column);
      case DT_INT64:
        return batch.int64(column);
      case DT_STRING:
        return batch.strings(column);
      default:
        return batch.tensor(column);
    }
  }
}
