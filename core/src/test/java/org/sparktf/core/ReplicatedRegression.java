package org.sparktf.core;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Each worker runs {@code steps} steps of y = 3x + 2 with w and b on different PS tasks, then
 * writes "w b lastGlobalStep" to worker-N.txt.
 */
final class ReplicatedRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private final boolean synchronous;
  private final int steps;

  ReplicatedRegression(boolean synchronous, int steps) {
    this.synchronous = synchronous;
    this.steps = steps;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      Variable<TFloat32> w = model.w();
      Variable<TFloat32> b = model.b();
      Placeholder<TFloat32> x = model.x();
      Placeholder<TFloat32> y = model.y();
      Operand<TFloat32> loss = model.loss();
      GradientDescent sgd = new GradientDescent(graph, 0.1f);
      ReplicatedTraining training =
          synchronous
              ? ReplicatedTraining.synchronous(ctx, graph, sgd, loss, Duration.ofSeconds(60))
              : ReplicatedTraining.asynchronous(ctx, graph, sgd, loss);
      training.summaries(loss, 10);
      try (Session session = ctx.session(graph)) {
        training.begin(session, Duration.ofSeconds(60));
        Random random = new Random(31 + ctx.taskIndex());
        long globalStep = 0;
        for (int i = 0; i < steps; i++) {
          float[] xs = new float[32];
          float[] ys = new float[32];
          for (int j = 0; j < xs.length; j++) {
            xs[j] = random.nextFloat() * 2 - 1;
            ys[j] = 3 * xs[j] + 2;
          }
          try (TFloat32 xt = TFloat32.vectorOf(xs);
              TFloat32 yt = TFloat32.vectorOf(ys)) {
            globalStep = training.step(session, Map.of(x, xt, y, yt));
          }
        }
        training.finish(session, Duration.ofSeconds(60));
        try (var result = session.runner().fetch(w).fetch(b).run()) {
          LinearRegressionNode.write(
              ctx,
              "worker-" + ctx.taskIndex() + ".txt",
              ((TFloat32) result.get(0)).getFloat()
                  + " "
                  + ((TFloat32) result.get(1)).getFloat()
                  + " "
                  + globalStep);
        }
      }
    }
  }
}
