package org.sparktf.core;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.GradientDescent;
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
      Operand<TFloat32> loss = model.loss();
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(ctx, graph, new GradientDescent(graph, 0.1f), loss);
      Checkpoints checkpoints = Checkpoints.every(50, 0, 3);
      try (Session session = ctx.session(graph)) {
        long begin = training.begin(session, Duration.ofSeconds(90));
        if (ctx.isChief()) {
          LinearRegressionNode.write(ctx, "begin-" + begin + ".txt", Long.toString(begin));
        }
        Random random = new Random(31L * (ctx.taskIndex() + 1) + begin);
        long step = begin;
        while (step < targetStep) {
          FeedBatch rows = fed ? ctx.dataFeed().nextBatch(32) : null;
          if (rows != null && rows.rows() == 0) {
            break;
          }
          float[][] batch = rows == null ? samples(random, 32) : null;
          try (TFloat32 xs = rows == null ? TFloat32.vectorOf(batch[0]) : rows.float32("x");
              TFloat32 ys = rows == null ? TFloat32.vectorOf(batch[1]) : rows.float32("y")) {
            step = training.step(session, Map.<Operand<?>, Tensor>of(x, xs, y, ys));
          }
          if (ctx.isChief()) {
            checkpoints.maybeSave(ctx, session, step);
          }
          if (begin == 0 && paceFrom > 0 && step >= paceFrom) {
            LockSupport.parkNanos(200_000_000L);
          }
        }
        step = training.finish(session, Duration.ofSeconds(90));
        if (ctx.isChief()) {
          checkpoints.save(ctx, session, step);
          float[][] heldOut = samples(new Random(99), 2000);
          try (TFloat32 xs = TFloat32.vectorOf(heldOut[0]);
              TFloat32 ys = TFloat32.vectorOf(heldOut[1]);
              TFloat32 value =
                  (TFloat32) session.runner().feed(x, xs).feed(y, ys).fetch(loss).run().get(0)) {
            LinearRegressionNode.write(ctx, "final.txt", step + " " + value.getFloat());
          }
        }
      }
    }
  }

  private static float[][] samples(Random random, int n) {
    float[] xs = new float[n];
    float[] ys = new float[n];
    for (int i = 0; i < n; i++) {
      xs[i] = random.nextFloat() * 2 - 1;
      ys[i] = 3 * xs[i] + 2 + (float) random.nextGaussian() * NOISE;
    }
    return new float[][] {xs, ys};
  }
}
