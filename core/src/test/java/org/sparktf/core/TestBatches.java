package org.sparktf.core;

import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.sparktf.core.BatchSource.Batch;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/** Batch sources for the training fixtures: a fixed number of generated batches. */
final class TestBatches {
  static final int BATCH = 32;

  private TestBatches() {}

  /** {@code count} batches from {@code next}, then the end of the data; Long.MAX_VALUE: endless. */
  static BatchSource take(long count, Supplier<Batch> next) {
    return new BatchSource() {
      private long given;

      @Override
      public Optional<Batch> next() {
        if (given == count) {
          return Optional.empty();
        }
        given++;
        return Optional.of(next.get());
      }
    };
  }

  /** {@code count} batches that feed nothing (a model without inputs). */
  static BatchSource empty(long count) {
    return take(count, () -> Batch.of(Map.of()));
  }

  /**
   * {@code count} batches of {@link #BATCH} samples of y = 3x + 2 (plus Gaussian noise of standard
   * deviation {@code noise}, none when 0) from {@code random}, fed to {@code x} and {@code y}.
   */
  static BatchSource regression(
      Operand<TFloat32> x, Operand<TFloat32> y, Random random, long count, float noise) {
    return take(
        count,
        () -> {
          float[][] s = regressionSamples(random, BATCH, noise);
          return Batch.of(Map.of(x, TFloat32.vectorOf(s[0]), y, TFloat32.vectorOf(s[1])));
        });
  }

  /** {@code n} samples of y = 3x + 2 + noise: {xs, ys}. */
  static float[][] regressionSamples(Random random, int n, float noise) {
    float[] xs = new float[n];
    float[] ys = new float[n];
    for (int i = 0; i < n; i++) {
      xs[i] = random.nextFloat() * 2 - 1;
      ys[i] = 3 * xs[i] + 2;
      if (noise != 0) {
        ys[i] += (float) random.nextGaussian() * noise;
      }
    }
    return new float[][] {xs, ys};
  }
}
