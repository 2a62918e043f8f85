package org.sparktf.bench;

import java.util.List;
import org.apache.spark.sql.Row;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * One checksum over every value of a read, computed the same way from Spark rows and from
 * TensorFlow's parsed tensors, so that contenders prove they read the same values: each present
 * value adds 1 plus its int64 value, its float's IEEE bits, or its string's {@code hashCode};
 * absent (null) values add nothing. Sums wrap around.
 */
final class ValueChecksum {
  private ValueChecksum() {}

  /** The checksum of one Spark row (columns: long, array of float, or string; nullable). */
  static long ofRow(Row row) {
    long sum = 0;
    for (int c = 0; c < row.length(); c++) {
      if (row.isNullAt(c)) {
        continue;
      }
      Object value = row.get(c);
      if (value instanceof Long l) {
        sum += 1 + l;
      } else if (value instanceof String s) {
        sum += 1 + s.hashCode();
      } else {
        List<Float> floats = row.getList(c);
        for (Float f : floats) {
          sum += 1 + Float.floatToRawIntBits(f);
        }
      }
    }
    return sum;
  }

  /** The checksum of every value of a dense or sparse-values tensor. */
  static long ofTensor(Tensor tensor) {
    long sum = 0;
    long n = tensor.shape().size();
    if (tensor instanceof TInt64 longs) {
      long[] values = new long[(int) n];
      longs.copyTo(DataBuffers.of(values, false, false));
      for (long v : values) {
        sum += 1 + v;
      }
    } else if (tensor instanceof TFloat32 floats) {
      float[] values = new float[(int) n];
      floats.copyTo(DataBuffers.of(values, false, false));
      for (float v : values) {
        sum += 1 + Float.floatToRawIntBits(v);
      }
    } else if (tensor instanceof TString strings) {
      for (long i = 0; i < n; i++) {
        sum += 1 + strings.getObject(i).hashCode();
      }
    } else {
      throw new IllegalArgumentException("Cannot checksum a tensor of " + tensor.dataType());
    }
    return sum;
  }
}
