package org.sparktf.ml.model;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Reusable building blocks for {@link ModelFunction}s. */
public final class Layers {
  private Layers() {}

  /** A fully connected layer: {@code x · W + b}, W of [in, out], optionally followed by ReLU. */
  public static Operand<TFloat32> dense(
      ModelBuilder model, String name, Operand<TFloat32> x, int in, int out, boolean relu) {
    Ops tf = model.tf();
    var w = model.normalVariable(name + "_kernel", Shape.of(in, out), (float) Math.sqrt(2.0 / in));
    var b = model.constantVariable(name + "_bias", Shape.of(out), 0f);
    Operand<TFloat32> y = tf.math.add(tf.linalg.matMul(x, w), b);
    return relu ? tf.nn.relu(y) : y;
  }

  /**
   * A 2-D convolution over NHWC images with a [size, size, in, out] kernel, SAME padding, stride 1,
   * then bias and ReLU.
   */
  public static Operand<TFloat32> conv2d(
      ModelBuilder model, String name, Operand<TFloat32> x, int size, int in, int out) {
    var conv = conv2d(model, name, x, size, size, in, out, 1, "SAME");
    var bias = model.constantVariable(name + "_bias", Shape.of(out), 0f);
    return model.tf().nn.relu(model.tf().nn.biasAdd(conv, bias));
  }

  /** Max pooling over NHWC images with a square window and the same stride, SAME padding. */
  public static Operand<TFloat32> maxPool(
      ModelBuilder model, Operand<TFloat32> x, int size, int stride) {
    return maxPool(model, x, size, stride, "SAME");
  }

  /**
   * Rows of a [vocabulary, dimension] embedding table for int64 ids of any shape: {@code ids.shape
   * + [dimension]}. Training updates only the looked-up rows ({@link ModelBuilder#lookup}). The
   * table is split into {@link ModelBuilder#tableShards} shards over the parameter servers ({@link
   * org.sparktf.core.ShardedTable}); checkpoints and the exported model hold it as one table.
   */
  public static Operand<TFloat32> embedding(
      ModelBuilder model, String name, Operand<TInt64> ids, int vocabulary, int dimension) {
    long seed = model.seed();
    var table =
        model.table(
            name + "_embeddings",
            Shape.of(vocabulary, dimension),
            (ops, firstRow, shape) ->
                ops.math.mul(
                    ops.random.truncatedNormal(
                        ops.constant(shape.asArray()),
                        TFloat32.class,
                        org.tensorflow.op.random.TruncatedNormal.seed(seed + firstRow)),
                    ops.constant(0.05f)));
    return model.lookup(table, ids);
  }

  /**
   * A linear ("wide") layer over ids: one weight per id of {@code [0, vocabulary)}, starting at 0,
   * summed over the last dimension of {@code ids} ([batch, ids per example] gives [batch]). With
   * ids from hashed categorical features it is a logistic regression's logit (add a bias). Training
   * updates only the looked-up weights ({@link ModelBuilder#lookup}), sharded as {@link
   * #embedding}.
   */
  public static Operand<TFloat32> wide(
      ModelBuilder model, String name, Operand<TInt64> ids, long vocabulary) {
    Ops tf = model.tf();
    var weights =
        model.table(
            name + "_weights",
            Shape.of(vocabulary),
            (ops, firstRow, shape) -> ops.zeros(ops.constant(shape.asArray()), TFloat32.class));
    return tf.reduceSum(model.lookup(weights, ids), tf.constant(-1));
  }

  /**
   * Mean sigmoid cross-entropy of logits against 0/1 labels, in the numerically stable form max(x,
   * 0) - x*z + log(1 + exp(-|x|)).
   */
  public static Operand<TFloat32> sigmoidCrossEntropy(
      ModelBuilder model, Operand<TFloat32> logits, Operand<TFloat32> labels) {
    Ops tf = model.tf();
    var positive = tf.math.maximum(logits, tf.constant(0f));
    var loss =
        tf.math.add(
            tf.math.sub(positive, tf.math.mul(logits, labels)),
            tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(logits)))));
    return tf.math.mean(loss, tf.constant(0));
  }

  /**
   * Dropout while training (keeps each value with probability {@code keep}); identity when serving.
   */
  public static Operand<TFloat32> dropout(ModelBuilder model, Operand<TFloat32> x, float keep) {
    if (!model.training() || keep >= 1f) {
      return x;
    }
    Ops tf = model.tf();
    var random =
        tf.random.randomUniform(
            tf.shape(x), TFloat32.class, org.tensorflow.op.random.RandomUniform.seed(model.seed()));
    var mask = tf.dtypes.cast(tf.math.less(random, tf.constant(keep)), TFloat32.class);
    return tf.math.div(tf.math.mul(x, mask), tf.constant(keep));
  }

  /** Mean softmax cross-entropy of logits against class indices. */
  public static Operand<TFloat32> softmaxCrossEntropy(
      ModelBuilder model, Operand<TFloat32> logits, Operand<TInt64> classes, int numClasses) {
    Ops tf = model.tf();
    var oneHot = tf.oneHot(classes, tf.constant(numClasses), tf.constant(1f), tf.constant(0f));
    return tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(logits, oneHot).loss(), tf.constant(0));
  }

  /**
   * A 2-D convolution over NHWC images with a [kernelHeight, kernelWidth, in, out] kernel, the
   * given stride and padding ("SAME" or "VALID"), and no bias and no activation: use it before
   * {@link #batchNorm}, whose offset replaces the bias.
   */
  public static Operand<TFloat32> conv2d(
      ModelBuilder model,
      String name,
      Operand<TFloat32> x,
      int kernelHeight,
      int kernelWidth,
      int in,
      int out,
      int stride,
      String padding) {
    Ops tf = model.tf();
    var kernel =
        model.normalVariable(
            name + "_kernel",
            Shape.of(kernelHeight, kernelWidth, in, out),
            (float) Math.sqrt(2.0 / (kernelHeight * kernelWidth * in)));
    return tf.nn.conv2d(
        x, kernel, java.util.List.of(1L, (long) stride, (long) stride, 1L), padding(padding));
  }

  /**
   * Batch normalization over the last dimension of {@code x} (NHWC images or [batch, features]),
   * with a learned offset (beta) and, when {@code scale}, a learned scale (gamma).
   *
   * <p>Training normalizes with the batch's mean and variance and moves the variables {@code
   * <name>_moving_mean} and {@code <name>_moving_variance} towards them by {@code 1 - decay} each
   * time the output is computed; serving normalizes with the moving averages. The moving averages
   * are ordinary variables, so checkpoints carry them to the serving graph; they take no part in
   * the loss but are linked to it with an exact zero gradient, because the optimizers compute a
   * gradient for every variable of the graph and refuse one they cannot reach.
   */
  public static Operand<TFloat32> batchNorm(
      ModelBuilder model,
      String name,
      Operand<TFloat32> x,
      int channels,
      boolean scale,
      float decay,
      float epsilon) {
    int rank = x.shape().numDimensions();
    if (rank < 2) {
      throw new IllegalArgumentException(
          "Invalid input for batch normalization "
              + name
              + ": shape "
              + x.shape()
              + "; it needs a batch and a channel dimension");
    }
    Ops tf = model.tf();
    Shape vector = Shape.of(channels);
    var beta = model.constantVariable(name + "_beta", vector, 0f);
    Operand<TFloat32> gamma = scale ? model.constantVariable(name + "_gamma", vector, 1f) : null;
    var movingMean = model.constantVariable(name + "_moving_mean", vector, 0f);
    var movingVariance = model.constantVariable(name + "_moving_variance", vector, 1f);
    if (!model.training()) {
      return normalize(tf, x, movingMean, movingVariance, beta, gamma, epsilon);
    }
    int[] axes = new int[rank - 1];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = i;
    }
    var reduce = tf.constant(axes);
    Operand<TFloat32> mean = tf.math.mean(x, reduce);
    Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, mean), reduce);
    var keep = tf.constant(1f - decay);
    var updateMean =
        tf.assignSub(movingMean, tf.math.mul(tf.math.sub(movingMean, tf.stopGradient(mean)), keep));
    var updateVariance =
        tf.assignSub(
            movingVariance,
            tf.math.mul(tf.math.sub(movingVariance, tf.stopGradient(variance)), keep));
    // 0 * (sum of the moving averages): a data path from the loss with a zero gradient.
    var link =
        tf.math.mul(
            tf.constant(0f),
            tf.math.add(
                tf.sum(movingMean, tf.constant(0)), tf.sum(movingVariance, tf.constant(0))));
    Operand<TFloat32> y = tf.math.add(normalize(tf, x, mean, variance, beta, gamma, epsilon), link);
    return tf.withControlDependencies(java.util.List.of(updateMean, updateVariance)).identity(y);
  }

  private static Operand<TFloat32> normalize(
      Ops tf,
      Operand<TFloat32> x,
      Operand<TFloat32> mean,
      Operand<TFloat32> variance,
      Operand<TFloat32> beta,
      Operand<TFloat32> gamma,
      float epsilon) {
    Operand<TFloat32> inverse = tf.math.rsqrt(tf.math.add(variance, tf.constant(epsilon)));
    if (gamma != null) {
      inverse = tf.math.mul(inverse, gamma);
    }
    return tf.math.add(tf.math.mul(tf.math.sub(x, mean), inverse), beta);
  }

  /**
   * {@link #conv2d(ModelBuilder, String, Operand, int, int, int, int, int, String) conv2d} without
   * bias, then {@link #batchNorm} (offset only, moving averages with {@code decay}, epsilon 0.001),
   * then ReLU: the convolution unit of Inception-style networks (which use decay 0.9997 for long
   * runs; a short run needs a smaller one for its averages to catch up).
   */
  public static Operand<TFloat32> conv2dBatchNormRelu(
      ModelBuilder model,
      String name,
      Operand<TFloat32> x,
      int kernelHeight,
      int kernelWidth,
      int in,
      int out,
      int stride,
      String padding,
      float decay) {
    var conv = conv2d(model, name, x, kernelHeight, kernelWidth, in, out, stride, padding);
    return model.tf().nn.relu(batchNorm(model, name + "_bn", conv, out, false, decay, 0.001f));
  }

  /** Max pooling over NHWC images with a square window, the given stride and padding. */
  public static Operand<TFloat32> maxPool(
      ModelBuilder model, Operand<TFloat32> x, int size, int stride, String padding) {
    Ops tf = model.tf();
    return tf.nn.maxPool(
        x,
        tf.constant(new int[] {1, size, size, 1}),
        tf.constant(new int[] {1, stride, stride, 1}),
        padding(padding));
  }

  /**
   * Average pooling over NHWC images with a square window, the given stride and padding (SAME
   * averages over the window's part inside the image).
   */
  public static Operand<TFloat32> avgPool(
      ModelBuilder model, Operand<TFloat32> x, int size, int stride, String padding) {
    return model
        .tf()
        .nn
        .avgPool(
            x,
            java.util.List.of(1L, (long) size, (long) size, 1L),
            java.util.List.of(1L, (long) stride, (long) stride, 1L),
            padding(padding));
  }

  /** The mean over the spatial dimensions of NHWC images: [batch, channels]. */
  public static Operand<TFloat32> globalAvgPool(ModelBuilder model, Operand<TFloat32> x) {
    Ops tf = model.tf();
    return tf.math.mean(x, tf.constant(new int[] {1, 2}));
  }

  /** NHWC images concatenated along the channels, in order (an Inception block's branches). */
  public static Operand<TFloat32> concatChannels(
      ModelBuilder model, java.util.List<Operand<TFloat32>> branches) {
    Ops tf = model.tf();
    return tf.concat(branches, tf.constant(3));
  }

  private static String padding(String padding) {
    if (!padding.equals("SAME") && !padding.equals("VALID")) {
      throw new IllegalArgumentException(
          "Invalid padding: " + padding + "; use \"SAME\" or \"VALID\"");
    }
    return padding;
  }
}
