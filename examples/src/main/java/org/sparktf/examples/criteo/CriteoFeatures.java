package org.sparktf.examples.criteo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.strings.Join;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The model's features, shared by the training graph, the serving graph and the planted model of
 * the generator: every integer column bucketized on log-spaced boundaries, every categorical column
 * hashed, and hashed crosses of categorical column pairs. Each feature is an id into one weight
 * vector: the numeric buckets take the first {@link #NUMERIC_IDS} ids, the hashed features the next
 * {@code hashBuckets}.
 */
final class CriteoFeatures {
  /** What a missing integer feature reads as in TensorFlow: it falls into bucket 0 alone. */
  static final long MISSING_NUMERIC = -1_000_000_000L;

  /** Bucket i holds values in [BOUNDARIES[i-1], BOUNDARIES[i]); 0: missing, 1: negative. */
  static final List<Float> BOUNDARIES =
      List.of(
          -1e8f, 0f, 1f, 2f, 3f, 4f, 6f, 8f, 12f, 16f, 24f, 32f, 48f, 64f, 128f, 256f, 512f, 1024f,
          4096f, 16384f, 65536f);

  static final int BUCKETS = BOUNDARIES.size() + 1;
  static final int NUMERIC_IDS = CriteoFormat.NUMERIC * BUCKETS;

  /** The crossed categorical pairs, as 0-based categorical column indexes (C17 x C23, C9 x C20). */
  static final int[][] CROSSES = {{16, 22}, {8, 19}};

  private CriteoFeatures() {}

  /** The bucket of an integer feature value, exactly as TensorFlow's Bucketize computes it. */
  static int bucket(Long value) {
    float x = value == null ? MISSING_NUMERIC : value;
    int bucket = 0;
    while (bucket < BOUNDARIES.size() && x >= BOUNDARIES.get(bucket)) {
      bucket++;
    }
    return bucket;
  }

  static String crossName(int[] cross) {
    return CriteoFormat.categoricalName(cross[0]) + "x" + CriteoFormat.categoricalName(cross[1]);
  }

  /**
   * The [batch, 13 + 26 + crosses] feature ids of a batch given as one rank-1 tensor per column
   * (int64 for I1..I13 with missing values as {@link #MISSING_NUMERIC}, strings for C1..C26 with
   * missing values empty).
   */
  static Operand<TInt64> ids(Ops tf, Map<String, Operand<?>> columns, long hashBuckets) {
    List<Operand<TInt64>> ids = new ArrayList<>();
    for (int i = 0; i < CriteoFormat.NUMERIC; i++) {
      @SuppressWarnings("unchecked")
      Operand<TInt64> value = (Operand<TInt64>) columns.get(CriteoFormat.numericName(i));
      Operand<TInt64> bucket = tf.dtypes.cast(tf.bucketize(value, BOUNDARIES), TInt64.class);
      ids.add(tf.math.add(bucket, tf.constant((long) i * BUCKETS)));
    }
    for (int i = 0; i < CriteoFormat.CATEGORICAL; i++) {
      String name = CriteoFormat.categoricalName(i);
      ids.add(hashed(tf, hashBuckets, tf.constant(name), string(columns, name)));
    }
    for (int[] cross : CROSSES) {
      ids.add(
          hashed(
              tf,
              hashBuckets,
              tf.constant(crossName(cross)),
              string(columns, CriteoFormat.categoricalName(cross[0])),
              string(columns, CriteoFormat.categoricalName(cross[1]))));
    }
    return tf.stack(ids, Stack.axis(1L));
  }

  @SafeVarargs
  private static Operand<TInt64> hashed(Ops tf, long buckets, Operand<TString>... parts) {
    // Tabs never occur inside a field, so "C17xC23\ta\tb" names exactly one pair of values.
    var joined = tf.strings.join(List.of(parts), Join.separator("\t"));
    return tf.math.add(
        tf.strings.toHashBucketFast(joined, buckets), tf.constant((long) NUMERIC_IDS));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TString> string(Map<String, Operand<?>> columns, String name) {
    return (Operand<TString>) columns.get(name);
  }

  /** Per-example sigmoid cross-entropy in the stable form max(x, 0) - x*z + log(1 + exp(-|x|)). */
  static Operand<TFloat32> logLoss(Ops tf, Operand<TFloat32> logits, Operand<TFloat32> labels) {
    return tf.math.add(
        tf.math.sub(tf.math.maximum(logits, tf.constant(0f)), tf.math.mul(logits, labels)),
        tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(logits)))));
  }
}
