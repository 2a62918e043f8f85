package org.sparktf.examples.criteo;

import java.util.SplittableRandom;

/**
 * Rows shaped like the Criteo click logs: heavy-tailed counts with Criteo's missing rates for
 * I1..I13, and for C1..C26 8-hex-character values drawn from vocabularies of Criteo's cardinalities
 * (from 3 to 10 million values) with a Zipf-like skew, so a few values are frequent and most are
 * rare. Row {@code id} is a pure function of the seed and the id.
 */
final class SyntheticCriteo {
  // Missing rate, log-mean and log-sd of each integer column.
  private static final double[] NUMERIC_MISSING = {
    .45, 0, .21, .22, .03, .22, .04, .001, .04, .45, .04, .77, .22
  };
  private static final double[] NUMERIC_MU = {1, 3, 2.5, 2, 7, 4, 2, 2.5, 4, .5, 1, .5, 2};
  private static final double[] NUMERIC_SIGMA = {
    1.2, 1.5, 1.5, 1, 2, 1.5, 1.2, 1, 1.3, .8, 1, 1, 1.2
  };
  // Distinct values of each categorical column in the Kaggle display-ads set, and missing rates.
  private static final long[] CARDINALITY = {
    1460, 583, 10131227, 2202608, 305, 24, 12517, 633, 3, 93145, 5683, 8351593, 3194, 27, 14992,
    5461306, 10, 5652, 2173, 4, 7046547, 18, 15, 286181, 105, 142572
  };
  private static final double[] CATEGORICAL_MISSING = {
    0, 0, .03, .03, 0, .12, 0, 0, 0, 0, 0, .03, 0, 0, 0, .03, 0, 0, .44, .44, .03, .76, 0, .03, .44,
    .44
  };
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final long seed;
  private final PlantedModel model;

  SyntheticCriteo(long seed) {
    this(seed, new PlantedModel(seed));
  }

  /** Rows of {@code seed} labelled by {@code model}. */
  SyntheticCriteo(long seed, PlantedModel model) {
    this.seed = seed;
    this.model = model;
  }

  PlantedModel model() {
    return model;
  }

  /** Row {@code id} in {@link CriteoFormat#SCHEMA} order, its label drawn from the model. */
  Object[] row(long id) {
    SplittableRandom random = new SplittableRandom(mix(seed * 0x9E3779B97F4A7C15L + id));
    Object[] values = new Object[CriteoFormat.FIELDS];
    for (int i = 0; i < CriteoFormat.NUMERIC; i++) {
      if (random.nextDouble() >= NUMERIC_MISSING[i]) {
        double x = Math.exp(NUMERIC_MU[i] + NUMERIC_SIGMA[i] * random.nextGaussian());
        values[1 + i] = (long) Math.floor(x) - 1;
      }
    }
    for (int i = 0; i < CriteoFormat.CATEGORICAL; i++) {
      if (random.nextDouble() >= CATEGORICAL_MISSING[i]) {
        // Log-uniform index: P(k) falls like 1/(k+1), Zipf with exponent 1.
        long k =
            (long) Math.floor(Math.exp(random.nextDouble() * Math.log(CARDINALITY[i] + 1))) - 1;
        values[1 + CriteoFormat.NUMERIC + i] = hex(mix(seed + 31L * (i + 1)) ^ mix(k + 1));
      }
    }
    values[0] = random.nextDouble() < model.probability(values) ? 1L : 0L;
    return values;
  }

  private static String hex(long bits) {
    char[] chars = new char[8];
    for (int i = 7; i >= 0; i--) {
      chars[i] = HEX[(int) (bits & 15)];
      bits >>>= 4;
    }
    return new String(chars);
  }

  /** SplitMix64's finalizer: a bijective 64-bit mix. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
