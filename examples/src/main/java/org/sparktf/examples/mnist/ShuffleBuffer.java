package org.sparktf.examples.mnist;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.sparktf.core.TFRecordBatches;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TString;

/**
 * Serialized records in random order, like tf.data's {@code shuffle(capacity)}: keeps up to {@code
 * capacity} records from the files and hands out random ones, so SGD does not see each worker's
 * files in the same order every epoch. Does not own the {@link TFRecordBatches}.
 */
final class ShuffleBuffer {
  private final TFRecordBatches source;
  private final int capacity;
  private final Random random;
  private final List<byte[]> buffer = new ArrayList<>();
  private boolean exhausted;

  ShuffleBuffer(TFRecordBatches source, int capacity, Random random) {
    this.source = source;
    this.capacity = capacity;
    this.random = random;
  }

  /** Up to {@code n} records as a 1-D string tensor (empty at the end); the caller closes it. */
  TString next(int n) {
    fill();
    List<byte[]> out = new ArrayList<>(n);
    while (out.size() < n && !buffer.isEmpty()) {
      int last = buffer.size() - 1;
      int pick = random.nextInt(buffer.size());
      out.add(buffer.get(pick));
      buffer.set(pick, buffer.get(last));
      buffer.remove(last);
    }
    return TString.tensorOfBytes(
        NdArrays.wrap(Shape.of(out.size()), DataBuffers.ofObjects(out.toArray(new byte[0][]))));
  }

  private void fill() {
    while (!exhausted && buffer.size() < capacity) {
      try (TString batch = source.next(Math.min(1000, capacity - buffer.size()))) {
        long size = batch.shape().size(0);
        if (size == 0) {
          exhausted = true;
        }
        NdArray<byte[]> records = batch.asBytes();
        for (long i = 0; i < size; i++) {
          buffer.add(records.getObject(i));
        }
      }
    }
  }
}
