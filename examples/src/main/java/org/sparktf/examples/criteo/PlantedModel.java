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
 *
 * <p>The {@link #realistic} variant is closer to the real day files: a click rate of about 3-4%
 * (the bias is lower) and part of the signal in pairwise interactions that {@link CriteoFeatures}
 * does not cross (C6 x C14, C22 x I5's bucket, C9 x C17), so a linear model over its features
 * cannot reach the optimum, while a model of pairwise interactions can.
 */
final class PlantedModel implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int[] NUMERIC_SIGNAL = {0, 4, 6};
  static final int[] CATEGORICAL_SIGNAL = {5, 8, 13, 16, 19, 21, 22};
  static final int[] CROSS_SIGNAL = {16, 22};
  private static final double WEIGHT_SCALE = 0.5;
  private static final double BIAS = -1.5;
  private static final double REALISTIC_BIAS = -4.1;
  private static final double INTERACTION_SCALE = 0.8;

  private final long seed;
  private final boolean realistic;

  PlantedModel(long seed) {
    this(seed, false);
  }

  PlantedModel(long seed, boolean realistic) {
    this.seed = seed;
    this.realistic = realistic;
  }

  /** The realistic variant: low click rate, part of the signal in uncrossed interactions. */
  static PlantedModel realistic(long seed) {
    return new PlantedModel(seed, true);
  }

  boolean isRealistic() {
    return realistic;
  }

  /** The click probability of a row given in {@link CriteoFormat#SCHEMA} order. */
  double probability(Object[] values) {
    double logit = realistic ? REALISTIC_BIAS + interactions(values) : BIAS;
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

  /** The realistic variant's pairwise interactions, none of them a feature of the click model. */
  private double interactions(Object[] values) {
    String i5 = Integer.toString(CriteoFeatures.bucket((Long) values[1 + 4]));
    return INTERACTION_SCALE
        * (weight("C6xC14=" + categorical(values, 5) + "," + categorical(values, 13))
            + weight("C22xI5=" + categorical(values, 21) + "," + i5)
            + weight("C9xC17=" + categorical(values, 8) + "," + categorical(values, 16)));
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
