package org.sparktf.bench;

import java.util.SplittableRandom;

/**
 * Criteo-shaped click data made in memory: {@value SparseTrainingBenchmark#FIELDS} fields, each
 * value drawn log-uniformly from 100,000 (a few values are frequent, most rare, as in the real
 * categorical columns), hashed with its field into {@code buckets} ids; the label is drawn from a
 * logistic model with a planted weight per (field, value).
 */
final class SyntheticClicks {
  private static final int VALUES = 100_000;
  private final long buckets;
  private final SplittableRandom random;

  record Batch(long[][] ids, float[] labels) {}

  SyntheticClicks(long buckets, long seed) {
    this.buckets = buckets;
    this.random = new SplittableRandom(seed);
  }

  Batch next(int size) {
    int fields = SparseTrainingBenchmark.FIELDS;
    long[][] ids = new long[size][fields];
    float[] labels = new float[size];
    for (int e = 0; e < size; e++) {
      double logit = -2.5;
      for (int f = 0; f < fields; f++) {
        long value = (long) Math.pow(VALUES, random.nextDouble());
        long key = mix(f * 1_000_003L + value);
        ids[e][f] = Math.floorMod(key, buckets);
        // The planted weight: uniform in [-0.6, 0.6), from the key's other bits.
        logit += ((mix(key) >>> 11) * 0x1.0p-53 - 0.5) * 1.2;
      }
      labels[e] = random.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1f : 0f;
    }
    return new Batch(ids, labels);
  }

  /** SplitMix64's finalizer: a well-mixed 64-bit hash. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
