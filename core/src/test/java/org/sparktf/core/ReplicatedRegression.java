package org.sparktf.core;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.types.TFloat32;

/**
 * Each worker runs {@code steps} steps of y = 3x + 2 with w and b on different PS tasks, then
 * writes "w b finalGlobalStep" to worker-N.txt. Worker 1 can have TensorFlow abort some of its step
 * runs as duplicate requests, after they ran (see {@link AbortedStepTest}).
 */
final class ReplicatedRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final boolean synchronous;
  private final int steps;
  private final int abortedRuns;

  ReplicatedRegression(boolean synchronous, int steps) {
    this(synchronous, steps, 0);
  }

  /**
   * @param abortedRuns how many of worker 1's session runs, from its {@link #FIRST_ABORTED}th, end
   *     with TensorFlow's duplicate-request error after they ran
   */
  ReplicatedRegression(boolean synchronous, int steps, int abortedRuns) {
    this.synchronous = synchronous;
    this.steps = steps;
    this.abortedRuns = abortedRuns;
  }

  static final int FIRST_ABORTED = 20;

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training = model.training(ctx, graph, synchronous);
      if (ctx.taskIndex() == 1 && abortedRuns > 0) {
        AtomicInteger runs = new AtomicInteger();
        training.stepRun(
            runner -> {
              int run = runs.incrementAndGet();
              Result result = runner.run();
              if (run >= FIRST_ABORTED && run - FIRST_ABORTED < abortedRuns) {
                result.close();
                throw new TensorFlowException(AbortedStepTest.DUPLICATE);
              }
              return result;
            });
      }
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
