package org.sparktf.examples.criteo;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The true click model behind {@link CriteoGenerator}'s data: a logistic model whose signal lies
 * only in features {@link CriteoFeatures} represents exactly (buckets of I1, I5 and I7, the values
 * of the low-cardinality columns C6, C9, C14, C17, C20, C22, C23, and the C17 x C23 cross), so the
 * best log loss any model can reach on its data is the cross-entropy of these probabilities. Every
 * weight is a deterministic function of the seed and the feature's name and value, so the model
 * needs no table and scores any row, whatever the cardinality.
 */
final class PlantedModel implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int[] NUMERIC_SIGNAL = {0, 4, 6};
  static final int[] CATEGORICAL_SIGNAL = {5, 8, 13, 16, 19, 21, 22};
  static final int[] CROSS_SIGNAL = {16, 22};
  private static final double WEIGHT_SCALE = 0.5;
  private static final double BIAS = -1.5;

  private final long seed;

  PlantedModel(long seed) {
    this.seed = seed;
  }

  /** The click probability of a row given in {@link CriteoFormat#SCHEMA} order. */
  double probability(Object[] values) {
    double logit = BIAS;
    for (int i : NUMERIC_SIGNAL) {
      int bucket = CriteoFeatures.bucket((Long) values[1 + i]);
      logit += weight(CriteoFormat.numericName(i) + "=" + bucket);
    }
    for (int i : CATEGORICAL_SIGNAL) {
      logit += weight(CriteoFormat.categoricalName(i) + "=" + categorical(values, i));
    }
    logit +=
        weight(
            "cross="
                + categorical(values, CROSS_SIGNAL[0])
                + ","
                + categorical(values, CROSS_SIGNAL[1]));
    return 1 / (1 + Math.exp(-logit));
  }

  /** A categorical value, with missing ones (null or empty) as "". */
  private static String categorical(Object[] values, int i) {
    Object value = values[1 + CriteoFormat.NUMERIC + i];
    return value == null ? "" : (String) value;
  }

  private double weight(String feature) {
    long h = seed;
    for (byte b : feature.getBytes(StandardCharsets.UTF_8)) {
      h = SyntheticCriteo.mix(h ^ b);
    }
    return WEIGHT_SCALE * new SplittableRandom(h).nextGaussian();
  }
}
