package org.sparktf.core;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
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
}
