package org.sparktf.core;

import java.time.Duration;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The graph the replicated-training fixtures train: y = w·x + b with w and b on the first two
 * variable devices (so two PS tasks share them) and the mean squared error computed on the worker.
 */
record LinearRegressionGraph(
    Ops tf,
    Variable<TFloat32> w,
    Variable<TFloat32> b,
    Placeholder<TFloat32> x,
    Placeholder<TFloat32> y,
    Operand<TFloat32> loss) {

  static LinearRegressionGraph build(NodeContext ctx, Graph graph) {
    Ops tf = Ops.create(graph);
    Variable<TFloat32> w =
        tf.withDevice(ctx.variableDevice(0)).withName("w").variable(tf.constant(0f));
    Variable<TFloat32> b =
        tf.withDevice(ctx.variableDevice(1)).withName("b").variable(tf.constant(0f));
    Ops local = tf.withDevice(ctx.localDevice());
    Placeholder<TFloat32> x = local.placeholder(TFloat32.class);
    Placeholder<TFloat32> y = local.placeholder(TFloat32.class);
    Operand<TFloat32> loss =
        local.math.mean(
            local.math.square(local.math.sub(local.math.add(local.math.mul(x, w), b), y)),
            local.constant(0));
    return new LinearRegressionGraph(tf, w, b, x, y, loss);
  }

  /**
   * Replicated SGD (learning rate 0.1) on the loss; a synchronous step waits up to 60 s for the
   * other workers.
   */
  ReplicatedTraining training(NodeContext ctx, Graph graph, boolean synchronous) {
    GradientDescent sgd = new GradientDescent(graph, 0.1f);
    return synchronous
        ? ReplicatedTraining.synchronous(ctx, graph, sgd, loss, Duration.ofSeconds(60))
        : ReplicatedTraining.asynchronous(ctx, graph, sgd, loss);
  }

  /** The serving graph of the model: y = w·x + b without devices, input "x", output "y". */
  static Signature servingGraph(Ops tf) {
    Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
    Variable<TFloat32> b = tf.withName("b").variable(tf.constant(0f));
    Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
    return Signature.builder()
        .key("serving_default")
        .input("x", x)
        .output("y", tf.math.add(tf.math.mul(x, w), b))
        .build();
  }
}
