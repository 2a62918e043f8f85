package org.sparktf.examples.cifar10;

import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The evaluation and serving graph: raw 3,072-byte CIFAR-10 records in, the central 24x24 crop
 * through the network, class scores out. No devices, so it runs wherever it is loaded; its
 * variables have the training graph's names, so a training checkpoint restores into it.
 */
final class ServingGraph {
  /** The signature input: [n] strings, each a record's 3,072 pixel bytes. */
  static final String INPUT = "image";

  /** The predicted class, [n] int64. */
  static final String CLASS = "class";

  /** The softmax over the 10 classes, [n, 10]. */
  static final String PROBABILITIES = "probabilities";

  private final Operand<TString> input;
  private final Operand<TFloat32> probabilities;
  private final Operand<TInt64> classes;

  ServingGraph(Ops tf) {
    input = tf.withName(INPUT).placeholder(TString.class);
    Operand<TFloat32> images = Cifar10Images.centralCrop(tf, Cifar10Images.decode(tf, input));
    Operand<TFloat32> logits = new Cifar10Network(tf, n -> null, 1).logits(tf, images);
    probabilities = tf.nn.softmax(logits);
    classes = tf.math.argMax(logits, tf.constant(1));
  }

  Operand<TString> input() {
    return input;
  }

  Operand<TInt64> classes() {
    return classes;
  }

  /** The "serving_default" signature. */
  Signature signature() {
    return Signature.builder()
        .key(Signature.DEFAULT_KEY)
        .input(INPUT, input)
        .output(CLASS, classes)
        .output(PROBABILITIES, probabilities)
        .build();
  }
}
