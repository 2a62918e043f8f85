package org.sparktf.bench;

import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** The benchmarks' small model: softmax regression on 784-pixel images, 10 classes. */
final class SoftmaxModel {
  static final int PIXELS = 784;
  static final int CLASSES = 10;

  final Placeholder<TFloat32> images;
  final Placeholder<TInt64> labels;
  final Operand<TFloat32> loss;
  final Op train;

  private SoftmaxModel(
      Placeholder<TFloat32> images, Placeholder<TInt64> labels, Operand<TFloat32> loss, Op train) {
    this.images = images;
    this.labels = labels;
    this.loss = loss;
    this.train = train;
  }

  /** Builds the model with its variables on {@code variables} and its math on {@code compute}. */
  static SoftmaxModel build(Graph graph, DeviceSpec variables, DeviceSpec compute) {
    Ops tf = Ops.create(graph);
    Ops onVariables = variables == null ? tf : tf.withDevice(variables);
    Ops local = compute == null ? tf : tf.withDevice(compute);
    Variable<TFloat32> w =
        onVariables
            .withName("w")
            .variable(
                onVariables.zeros(
                    onVariables.constant(new int[] {PIXELS, CLASSES}), TFloat32.class));
    Variable<TFloat32> b =
        onVariables
            .withName("b")
            .variable(onVariables.zeros(onVariables.constant(new int[] {CLASSES}), TFloat32.class));
    Placeholder<TFloat32> images = local.withName("images").placeholder(TFloat32.class);
    Placeholder<TInt64> labels = local.withName("labels").placeholder(TInt64.class);
    Operand<TFloat32> logits = local.math.add(local.linalg.matMul(images, w), b);
    Operand<TFloat32> loss =
        local.math.mean(
            local
                .nn
                .softmaxCrossEntropyWithLogits(
                    logits,
                    local.oneHot(
                        labels, local.constant(CLASSES), local.constant(1f), local.constant(0f)))
                .loss(),
            local.constant(0));
    Op train = new GradientDescent(graph, 0.1f).minimize(loss);
    return new SoftmaxModel(images, labels, loss, train);
  }
}
