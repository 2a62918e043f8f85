package org.sparktf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Training batches of {@link SyntheticClicks} made into tensors before the timing starts, fed in
 * turn (cycling when a run has more steps than batches), so that a timed step measures training and
 * not the Java code that draws the examples and copies them into tensors, which costs the same for
 * every contender and would hide their ratio.
 */
final class FedBatches implements AutoCloseable {
  private final List<TInt64> ids = new ArrayList<>();
  private final List<TFloat32> labels = new ArrayList<>();
  private int next;

  /** {@code count} batches of {@code size} examples drawn from {@code data}. */
  FedBatches(SyntheticClicks data, int size, int count) {
    try {
      for (int i = 0; i < count; i++) {
        SyntheticClicks.Batch b = data.next(size);
        ids.add(TInt64.tensorOf(StdArrays.ndCopyOf(b.ids())));
        labels.add(TFloat32.vectorOf(b.labels()));
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The next batch's feeds (the tensors stay owned by this object). */
  Map<Operand<?>, Tensor> next(Placeholder<TInt64> idsIn, Placeholder<TFloat32> labelsIn) {
    int i = next;
    next = (next + 1) % ids.size();
    return Map.of(idsIn, ids.get(i), labelsIn, labels.get(i));
  }

  @Override
  public void close() {
    ids.forEach(Tensor::close);
    labels.forEach(Tensor::close);
  }
}
