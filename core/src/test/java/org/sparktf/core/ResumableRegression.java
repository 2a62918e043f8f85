package org.sparktf.core;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.sparktf.core.BatchSource.Batch;
import org.tensorflow.Graph;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Fits y = 3x + 2 + noise by asynchronous replicated SGD until the global step reaches {@code
 * targetStep}, with a checkpoint every 50 steps, resuming from the latest checkpoint as a restarted
 * cluster must. The chief writes {@code begin-<step>.txt} for the global step each start began from
 * and, at the end, {@code final.txt}: the final global step and the loss on a fixed held-out set.
 *
 * <p>{@link #fed} makes the workers train on the rows Spark feeds them (columns x and y, batches of
 * 32) until the feed ends, instead of generating samples up to the target step.
 *
 * <p>With {@code paceFrom > 0}, a run that began at step 0 slows to one step per 200 ms per worker
 * once past that step, as a long job would still be running, so that a test can kill a node
 * mid-training whatever the speed of the machine.
 */
final class ResumableRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private static final float NOISE = 0.1f;
  private static final Duration WAIT = Duration.ofSeconds(90);
  private final long targetStep;
  private final long paceFrom;
  private final boolean fed;

  ResumableRegression(long targetStep, long paceFrom) {
    this(targetStep, paceFrom, false);
  }

  private ResumableRegression(long targetStep, long paceFrom, boolean fed) {
    this.targetStep = targetStep;
    this.paceFrom = paceFrom;
    this.fed = fed;
  }

  /** Trains on the fed rows until the feed ends (InputMode.SPARK). */
  static ResumableRegression fed(long paceFrom) {
    return new ResumableRegression(Long.MAX_VALUE, paceFrom, true);
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      Placeholder<TFloat32> x = model.x();
      Placeholder<TFloat32> y = model.y();
      ReplicatedTraining training = model.training(ctx, graph, false);
      long[] begin = {0};
      TrainingLoop.builder(ctx, training)
          .maxSteps(fed ? 0 : targetStep)
          .checkpoints(50, 0, 3)
          .beginTimeout(WAIT)
          .finishTimeout(WAIT)
          .onBegin(
              (session, step) -> {
                begin[0] = step;
                if (ctx.isChief()) {
                  LinearRegressionNode.write(ctx, "begin-" + step + ".txt", Long.toString(step));
                }
              })
          .data(
              1,
              epoch ->
                  fed
                      ? BatchSource.feed(
                          ctx.dataFeed(),
                          TestBatches.BATCH,
                          rows -> Batch.of(Map.of(x, rows.float32("x"), y, rows.float32("y"))))
                      : TestBatches.regression(
                          x,
                          y,
                          new Random(31L * (ctx.taskIndex() + 1) + begin[0]),
                          Long.MAX_VALUE,
                          NOISE))
          .every(
              1,
              (session, step) -> {
                if (begin[0] == 0 && paceFrom > 0 && step >= paceFrom) {
                  LockSupport.parkNanos(200_000_000L);
                }
              })
          .onFinish(
              (session, step) -> {
                if (ctx.isChief()) {
                  float[][] heldOut = TestBatches.regressionSamples(new Random(99), 2000, NOISE);
                  try (TFloat32 xs = TFloat32.vectorOf(heldOut[0]);
                      TFloat32 ys = TFloat32.vectorOf(heldOut[1]);
                      TFloat32 value =
                          (TFloat32)
                              session
                                  .runner()
                                  .feed(x, xs)
                                  .feed(y, ys)
                                  .fetch(model.loss())
                                  .run()
                                  .get(0)) {
                    LinearRegressionNode.write(ctx, "final.txt", step + " " + value.getFloat());
                  }
                }
              })
          .build()
          .run(graph);
    }
  }
}
