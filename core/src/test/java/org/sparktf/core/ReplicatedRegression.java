package org.sparktf.core;

import java.time.Duration;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.types.TFloat32;

/**
 * Each worker runs {@code steps} steps of y = 3x + 2 with w and b on different PS tasks, then
 * writes "w b finalGlobalStep" to worker-N.txt.
 */
final class ReplicatedRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private static final Duration WAIT = Duration.ofSeconds(60);
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
      ReplicatedTraining training = model.training(ctx, graph, synchronous);
      TrainingLoop.builder(ctx, training)
          .summaryEvery(10)
          .beginTimeout(WAIT)
          .finishTimeout(WAIT)
          .data(
              TestBatches.regression(
                  model.x(), model.y(), new Random(31 + ctx.taskIndex()), steps, 0))
          .onFinish(
              (session, step) -> {
                try (var result = session.runner().fetch(model.w()).fetch(model.b()).run()) {
                  LinearRegressionNode.write(
                      ctx,
                      "worker-" + ctx.taskIndex() + ".txt",
                      ((TFloat32) result.get(0)).getFloat()
                          + " "
                          + ((TFloat32) result.get(1)).getFloat()
                          + " "
                          + step);
                }
              })
          .build()
          .run(graph);
    }
  }
}
