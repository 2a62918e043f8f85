package org.sparktf.examples.criteo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
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
 * The click models over the features of {@link CriteoFeatures}, built with the estimators' {@link
 * Layers} so that their tables are read only through {@link ModelBuilder#lookup} (sparse updates on
 * the parameter servers), in a training graph fed serialized {@code tf.train.Example}s and in a
 * device-free serving graph fed one tensor per column:
 *
 * <ul>
 *   <li>{@link Type#LINEAR}: logistic regression, one weight per feature id plus a bias.
 *   <li>{@link Type#FM}: a factorization machine, the same linear part plus a pairwise interaction
 *       term {@code sum_{i<j} <v_i, v_j>} over the row's feature ids' embeddings {@code v} (one per
 *       field), computed in O(fields * k) as {@code 0.5 * sum_k ((sum_i v_ik)^2 - sum_i v_ik^2)}:
 *       interactions of columns the features do not cross are learned from data.
 * </ul>
 */
final class ClickModel {
  static final String LINEAR = "linear";
  static final String FACTORS = "factors";
  static final String BIAS = "bias";
  static final String PROBABILITY = "probability";
  private static final float EMBEDDING_SCALE = 0.5f;

  /** Which click model to build. */
  enum Type {
    LINEAR,
    FM;

    /** The {@code --model-type} value: linear or fm. */
    static Type parse(String name, String usage) {
      return switch (name) {
        case "linear" -> LINEAR;
        case "fm" -> FM;
        default -> throw new IllegalArgumentException(
            "Invalid --model-type: " + name + "; use linear or fm; usage: " + usage);
      };
    }
  }

  private ClickModel() {}

  /**
   * The logits of a batch: the model's variables are created through {@code model} (which places
   * them), its tables read through {@link ModelBuilder#lookup}.
   *
   * @param columns one rank-1 tensor per feature column, as {@link CriteoFeatures#ids} takes them
   * @param factors the embedding size k of {@link Type#FM}; ignored for {@link Type#LINEAR}
   */
  static Operand<TFloat32> logits(
      ModelBuilder model,
      Map<String, Operand<?>> columns,
      Type type,
      long hashBuckets,
      int factors) {
    Ops tf = model.tf();
    long vocabulary = CriteoFeatures.NUMERIC_IDS + hashBuckets;
    Operand<TInt64> ids = CriteoFeatures.ids(tf, columns, hashBuckets);
    Operand<TFloat32> linear = Layers.wide(model, LINEAR, ids, vocabulary);
    Variable<TFloat32> bias = model.constantVariable(BIAS, Shape.scalar(), 0f);
    Operand<TFloat32> logits = tf.math.add(linear, bias);
    if (type == Type.LINEAR) {
      return logits;
    }
    if (vocabulary > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "Invalid --hash-buckets: "
              + hashBuckets
              + "; the factorization machine's embedding table takes at most "
              + (Integer.MAX_VALUE - CriteoFeatures.NUMERIC_IDS));
    }
    // [batch, fields, k]. Every row's pairs include ids seen rarely or never in training, whose
    // embeddings stay near their random start: scaling the rows halves that start's spread (the
    // noise it adds falls fourfold) and the embeddings' steps; measured on the realistic
    // generator's data, 1.0 fell short of the linear model and 0.2 learned no interactions.
    Operand<TFloat32> v =
        tf.math.mul(
            Layers.embedding(model, FACTORS, ids, (int) vocabulary, factors),
            tf.constant(EMBEDDING_SCALE));
    Operand<TFloat32> sum = tf.reduceSum(v, tf.constant(1));
    Operand<TFloat32> sumOfSquares = tf.reduceSum(tf.math.square(v), tf.constant(1));
    Operand<TFloat32> pairs =
        tf.math.mul(
            tf.constant(0.5f),
            tf.reduceSum(tf.math.sub(tf.math.square(sum), sumOfSquares), tf.constant(1)));
    return tf.math.add(logits, pairs);
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
