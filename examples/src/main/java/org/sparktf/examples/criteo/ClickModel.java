package org.sparktf.examples.criteo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparktf.core.SparseLookup;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The logistic regression: one weight per feature id of {@link CriteoFeatures} (a vector on a
 * parameter server) plus a bias, in a training graph fed serialized {@code tf.train.Example}s and
 * in a device-free serving graph fed one tensor per column.
 */
final class ClickModel {
  static final String WEIGHTS = "weights";
  static final String BIAS = "bias";
  static final String PROBABILITY = "probability";

  final Variable<TFloat32> weights;
  final Variable<TFloat32> bias;
  final Operand<TFloat32> logits;

  /** The weights' lookup, for sparse updates ({@link org.sparktf.core.ReplicatedTraining}). */
  final SparseLookup lookup;

  /**
   * @param onWeights where the weight vector lives; the lookup runs there too, so only ids and the
   *     looked-up weights cross the network, never the whole vector
   * @param onBias where the bias lives
   * @param local where everything else runs
   */
  ClickModel(
      Ops onWeights, Ops onBias, Ops local, Map<String, Operand<?>> columns, long hashBuckets) {
    long size = CriteoFeatures.NUMERIC_IDS + hashBuckets;
    weights =
        onWeights
            .withName(WEIGHTS)
            .variable(onWeights.zeros(onWeights.constant(new long[] {size}), TFloat32.class));
    bias = onBias.withName(BIAS).variable(onBias.constant(0f));
    Operand<TInt64> ids = CriteoFeatures.ids(local, columns, hashBuckets);
    lookup = SparseLookup.gather(onWeights, weights, ids);
    logits = local.math.add(local.reduceSum(lookup.rows(), local.constant(1)), bias);
  }

  /** The columns of a batch of serialized Examples written by {@link CriteoEtl}, label included. */
  static Map<String, Operand<?>> parse(Ops tf, Operand<TString> records) {
    List<String> keys = new ArrayList<>();
    List<Operand<?>> defaults = new ArrayList<>();
    keys.add(CriteoFormat.LABEL);
    defaults.add(tf.constant(new long[0])); // no default: a record without a label fails the step
    for (int i = 0; i < CriteoFormat.NUMERIC; i++) {
      keys.add(CriteoFormat.numericName(i));
      defaults.add(tf.constant(CriteoFeatures.MISSING_NUMERIC));
    }
    for (int i = 0; i < CriteoFormat.CATEGORICAL; i++) {
      keys.add(CriteoFormat.categoricalName(i));
      defaults.add(tf.constant(""));
    }
    List<Shape> shapes = new ArrayList<>();
    keys.forEach(k -> shapes.add(Shape.scalar()));
    Operand<TString> none = tf.constant(NdArrays.ofObjects(String.class, Shape.of(0)));
    ParseExample parsed =
        tf.io.parseExample(
            records,
            none,
            none,
            tf.constant(NdArrays.vectorOfObjects(keys.toArray(new String[0]))),
            none,
            defaults,
            0L,
            List.of(),
            List.of(),
            List.of(),
            shapes);
    Map<String, Operand<?>> columns = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      columns.put(keys.get(i), parsed.denseValues().get(i));
    }
    return columns;
  }

  /** One rank-1 placeholder per feature column, named after it, for the serving signature. */
  static Map<String, Placeholder<?>> servingInputs(Ops tf) {
    Map<String, Placeholder<?>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < CriteoFormat.NUMERIC; i++) {
      String name = CriteoFormat.numericName(i);
      inputs.put(
          name, tf.withName(name).placeholder(TInt64.class, Placeholder.shape(Shape.of(-1))));
    }
    for (int i = 0; i < CriteoFormat.CATEGORICAL; i++) {
      String name = CriteoFormat.categoricalName(i);
      inputs.put(
          name, tf.withName(name).placeholder(TString.class, Placeholder.shape(Shape.of(-1))));
    }
    return inputs;
  }
}
