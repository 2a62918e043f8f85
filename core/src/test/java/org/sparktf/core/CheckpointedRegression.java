package org.sparktf.core;

import java.util.OptionalLong;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * y = 3x + 2 with a global step, checkpoints every 50 steps, resume from the latest checkpoint, and
 * a SavedModel export by the chief. Trains until the global step reaches {@code targetStep}.
 */
final class CheckpointedRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private final long targetStep;

  CheckpointedRegression(long targetStep) {
    this.targetStep = targetStep;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    Checkpoints checkpoints = Checkpoints.every(50, 0, 2);
    long step;
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      Ops tf = model.tf();
      Placeholder<TFloat32> x = model.x();
      Placeholder<TFloat32> y = model.y();
      Operand<TFloat32> loss = model.loss();
      // The optimizer trains every variable that exists when minimize() builds its ops, so the
      // global step comes after it.
      Op minimize = new GradientDescent(graph, 0.1f).minimize(loss);
      Variable<TInt64> globalStep =
          tf.withDevice(ctx.variableDevice(0)).withName("global_step").variable(tf.constant(0L));
      Operand<TInt64> increment =
          tf.withControlDependencies(java.util.List.of(minimize))
              .assignAdd(globalStep, tf.constant(1L));
      try (Session session = ctx.session(graph)) {
        if (ctx.isChief()) {
          OptionalLong restored = Checkpoints.restoreLatest(ctx, session);
          if (restored.isEmpty()) {
            session.initialize();
          }
          LinearRegressionNode.write(ctx, "restored.txt", Long.toString(restored.orElse(-1)));
          LinearRegressionNode.write(ctx, "generation.txt", Long.toString(ctx.generation()));
        } else {
          ctx.awaitVariables(session, java.time.Duration.ofSeconds(60));
        }
        Random random = new Random(ctx.taskIndex());
        step = 0;
        while (step < targetStep) {
          float[] xs = new float[32];
          float[] ys = new float[32];
          for (int i = 0; i < xs.length; i++) {
            xs[i] = random.nextFloat() * 2 - 1;
            ys[i] = 3 * xs[i] + 2;
          }
          try (TFloat32 xt = TFloat32.vectorOf(xs);
              TFloat32 yt = TFloat32.vectorOf(ys);
              TInt64 s =
                  (TInt64) session.runner().feed(x, xt).feed(y, yt).fetch(increment).run().get(0)) {
            step = s.getLong();
          }
          if (ctx.isChief()) {
            checkpoints.maybeSave(ctx, session, step);
          }
        }
        if (ctx.isChief()) {
          checkpoints.save(ctx, session, step);
        }
      }
    }
    if (ctx.isChief()) {
      export(ctx, step);
    }
  }

  /** The serving graph has no devices; its variables come from the latest checkpoint. */
  private static void export(NodeContext ctx, long step) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
      Variable<TFloat32> b = tf.withName("b").variable(tf.constant(0f));
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
      Operand<TFloat32> y = tf.math.add(tf.math.mul(x, w), b);
      try (Session session = new Session(graph)) {
        Checkpoints.restoreLatest(ctx, session);
        Signature signature =
            Signature.builder().key("serving_default").input("x", x).output("y", y).build();
        SavedModels.export(
            session,
            ctx.hadoopConf(),
            ctx.modelDir() + "/export/" + step,
            ctx.localDir(),
            signature);
      }
    }
  }
}
