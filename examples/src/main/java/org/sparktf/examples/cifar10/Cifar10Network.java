package org.sparktf.examples.cifar10;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.LocalResponseNormalization;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The CNN of TensorFlow's classic cifar10 tutorial, the model of the reference architecture's
 * CIFAR-10 workload: conv 5x5x64, ReLU, max pool 3x3/2, LRN; conv 5x5x64, ReLU, LRN, max pool;
 * fully connected 384 and 192 (ReLU, L2 weight decay 0.004) and a linear layer to the 10 logits.
 * 1,068,298 parameters for 24x24x3 inputs.
 *
 * <p>The variables are created once and shared: {@link #logits} may be called once per tower.
 * Variable names are the same in every graph that builds the network, so a training checkpoint
 * restores into the evaluation and serving graphs.
 */
final class Cifar10Network {
  private static final float WEIGHT_DECAY = 0.004f;
  private static final int FLAT = 6 * 6 * 64; // two stride-2 pools take 24x24 to 6x6

  private final List<Variable<TFloat32>> variables;
  private final Operand<TFloat32> conv1Weights;
  private final Operand<TFloat32> conv1Biases;
  private final Operand<TFloat32> conv2Weights;
  private final Operand<TFloat32> conv2Biases;
  private final Operand<TFloat32> local3Weights;
  private final Operand<TFloat32> local3Biases;
  private final Operand<TFloat32> local4Weights;
  private final Operand<TFloat32> local4Biases;
  private final Operand<TFloat32> softmaxWeights;
  private final Operand<TFloat32> softmaxBiases;

  /**
   * Creates the variables in {@code root}'s graph; the n-th goes on {@code device.apply(n)} (null:
   * wherever TensorFlow places it).
   */
  Cifar10Network(Ops root, IntFunction<DeviceSpec> device, long seed) {
    this(createVariables(root, device, seed), null);
  }

  /** The network over {@code variables}, computing with {@code reads} of them (null: directly). */
  private Cifar10Network(List<Variable<TFloat32>> variables, List<Operand<TFloat32>> reads) {
    this.variables = Collections.unmodifiableList(variables);
    List<Operand<TFloat32>> w = reads == null ? new ArrayList<>(variables) : reads;
    conv1Weights = w.get(0);
    conv1Biases = w.get(1);
    conv2Weights = w.get(2);
    conv2Biases = w.get(3);
    local3Weights = w.get(4);
    local3Biases = w.get(5);
    local4Weights = w.get(6);
    local4Biases = w.get(7);
    softmaxWeights = w.get(8);
    softmaxBiases = w.get(9);
  }

  private static List<Variable<TFloat32>> createVariables(
      Ops root, IntFunction<DeviceSpec> device, long seed) {
    VariableFactory make = new VariableFactory(root, device, seed);
    make.normal("conv1", "weights", Shape.of(5, 5, 3, 64), 5e-2f);
    make.constant("conv1", "biases", Shape.of(64), 0f);
    make.normal("conv2", "weights", Shape.of(5, 5, 64, 64), 5e-2f);
    make.constant("conv2", "biases", Shape.of(64), 0.1f);
    make.normal("local3", "weights", Shape.of(FLAT, 384), 0.04f);
    make.constant("local3", "biases", Shape.of(384), 0.1f);
    make.normal("local4", "weights", Shape.of(384, 192), 0.04f);
    make.constant("local4", "biases", Shape.of(192), 0.1f);
    make.normal("softmax_linear", "weights", Shape.of(192, Cifar10Binary.CLASSES), 1 / 192f);
    make.constant("softmax_linear", "biases", Shape.of(Cifar10Binary.CLASSES), 0f);
    return make.variables;
  }

  /**
   * The same network computing with one read of each variable on {@code host} per step: every tower
   * then works on the same snapshot of the values, and a remote variable (on a parameter server)
   * crosses the network once per step rather than once per tower.
   */
  Cifar10Network readingOn(Ops host) {
    List<Operand<TFloat32>> reads = new ArrayList<>();
    for (Variable<TFloat32> variable : variables) {
      reads.add(host.identity(variable));
    }
    return new Cifar10Network(variables, reads);
  }

  /** The trainable variables, in creation order. */
  List<Variable<TFloat32>> variables() {
    return variables;
  }

  /** The unnormalized class scores [n, 10] of [n, 24, 24, 3] standardized images. */
  Operand<TFloat32> logits(Ops tf, Operand<TFloat32> images) {
    Operand<TFloat32> conv1 = conv(tf, images, conv1Weights, conv1Biases);
    Operand<TFloat32> norm1 = lrn(tf, maxPool(tf, conv1));
    Operand<TFloat32> conv2 = conv(tf, norm1, conv2Weights, conv2Biases);
    Operand<TFloat32> pool2 = maxPool(tf, lrn(tf, conv2));
    Operand<TFloat32> flat = tf.reshape(pool2, tf.constant(new int[] {-1, FLAT}));
    Operand<TFloat32> local3 = dense(tf, flat, local3Weights, local3Biases);
    Operand<TFloat32> local4 = dense(tf, local3, local4Weights, local4Biases);
    return tf.math.add(tf.linalg.matMul(local4, softmaxWeights), softmaxBiases);
  }

  /** Mean cross-entropy of the logits against the labels plus the L2 weight decay. */
  Operand<TFloat32> loss(Ops tf, Operand<TFloat32> logits, Operand<TInt64> labels) {
    Operand<TFloat32> oneHot =
        tf.oneHot(labels, tf.constant(Cifar10Binary.CLASSES), tf.constant(1f), tf.constant(0f));
    Operand<TFloat32> crossEntropy =
        tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(logits, oneHot).loss(), tf.constant(0));
    Operand<TFloat32> decay =
        tf.math.mul(
            tf.math.add(tf.nn.l2Loss(local3Weights), tf.nn.l2Loss(local4Weights)),
            tf.constant(WEIGHT_DECAY));
    return tf.math.add(crossEntropy, decay);
  }

  private static Operand<TFloat32> conv(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> weights, Operand<TFloat32> biases) {
    Operand<TFloat32> conv = tf.nn.conv2d(x, weights, List.of(1L, 1L, 1L, 1L), "SAME");
    return tf.nn.relu(tf.nn.biasAdd(conv, biases));
  }

  private static Operand<TFloat32> maxPool(Ops tf, Operand<TFloat32> x) {
    return tf.nn.maxPool(
        x, tf.constant(new int[] {1, 3, 3, 1}), tf.constant(new int[] {1, 2, 2, 1}), "SAME");
  }

  private static Operand<TFloat32> lrn(Ops tf, Operand<TFloat32> x) {
    return tf.nn.localResponseNormalization(
        x,
        LocalResponseNormalization.depthRadius(4L),
        LocalResponseNormalization.bias(1f),
        LocalResponseNormalization.alpha(0.001f / 9),
        LocalResponseNormalization.beta(0.75f));
  }

  private static Operand<TFloat32> dense(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> weights, Operand<TFloat32> biases) {
    return tf.nn.relu(tf.math.add(tf.linalg.matMul(x, weights), biases));
  }

  /** Creates named, placed, initialized variables and records them. */
  private static final class VariableFactory {
    private final List<Variable<TFloat32>> variables = new ArrayList<>();
    private final Ops root;
    private final Map<String, Ops> layers = new HashMap<>();
    private final IntFunction<DeviceSpec> device;
    private final long seed;

    VariableFactory(Ops root, IntFunction<DeviceSpec> device, long seed) {
      this.root = root;
      this.device = device;
      this.seed = seed;
    }

    Variable<TFloat32> normal(String layer, String name, Shape shape, float stddev) {
      Ops ops = placed(layer);
      long opSeed = seed + variables.size() + 1; // nonzero: a zero seed means "any"
      Operand<TFloat32> init =
          ops.math.mul(
              ops.random.truncatedNormal(
                  ops.constant(shape.asArray()), TFloat32.class, TruncatedNormal.seed(opSeed)),
              ops.constant(stddev));
      return add(ops.withName(name).variable(init));
    }

    Variable<TFloat32> constant(String layer, String name, Shape shape, float value) {
      Ops ops = placed(layer);
      return add(
          ops.withName(name)
              .variable(ops.fill(ops.constant(shape.asArray()), ops.constant(value))));
    }

    private Ops placed(String layer) {
      DeviceSpec spec = device.apply(variables.size());
      // One sub-scope per layer: asking for it twice would name the second "layer_1".
      Ops scoped = layers.computeIfAbsent(layer, root::withSubScope);
      return spec == null ? scoped : scoped.withDevice(spec);
    }

    private Variable<TFloat32> add(Variable<TFloat32> variable) {
      variables.add(variable);
      return variable;
    }
  }
}
