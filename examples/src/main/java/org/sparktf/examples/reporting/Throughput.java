package org.sparktf.examples.reporting;

import org.sparktf.core.NodeContext;
import org.sparktf.core.TrainingLoop;
import org.tensorflow.Session;

/**
 * A training-loop hook that writes this worker's examples per second to its TensorBoard writer (the
 * chief's to the model directory, the others' to {@code <modelDir>/worker_<i>}: one TensorBoard run
 * per worker) every {@code localSteps} of its own steps. Register it to run after every step,
 * {@code loop.every(1, Throughput.of(ctx, batchSize, 50))}: each local step moves the global step
 * on, so the hook counts this worker's steps exactly.
 */
public final class Throughput implements TrainingLoop.Hook {
  /** The tag of the scalar, as {@link TrainingPlots} reads it. */
  public static final String TAG = "examples_per_sec";

  private final NodeContext ctx;
  private final int batchSize;
  private final int localSteps;
  private long steps;
  private long lastNanos = -1;

  private Throughput(NodeContext ctx, int batchSize, int localSteps) {
    this.ctx = ctx;
    this.batchSize = batchSize;
    this.localSteps = localSteps;
  }

  /**
   * @param batchSize the examples of one step (the batch size asked for: a short last batch counts
   *     as full)
   * @param localSteps how many of this worker's steps each measurement spans
   */
  public static Throughput of(NodeContext ctx, int batchSize, int localSteps) {
    if (ctx == null || batchSize < 1 || localSteps < 1) {
      throw new IllegalArgumentException(
          "Invalid throughput hook: batch size "
              + batchSize
              + " and "
              + localSteps
              + " steps per measurement; both must be >= 1, with a node context");
    }
    return new Throughput(ctx, batchSize, localSteps);
  }

  @Override
  public void run(Session session, long globalStep) {
    long now = System.nanoTime();
    if (lastNanos < 0) {
      // The first step's end starts the clock: graph setup and the wait for the chief are not
      // training throughput.
      lastNanos = now;
      return;
    }
    steps++;
    if (steps == localSteps) {
      double rate = (double) steps * batchSize * 1e9 / Math.max(1, now - lastNanos);
      ctx.summaryWriter().scalar(TAG, globalStep, rate);
      ctx.summaryWriter().flush();
      steps = 0;
      lastNanos = now;
    }
  }
}
