package org.sparktf.core;

import java.time.Duration;
import org.apache.hadoop.fs.Path;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;

/**
 * Two asynchronous workers, each {@code steps} steps on a variable of the first PS; worker 1 starts
 * only after the chief has made all of its steps, so the chief is always ahead. With {@code
 * chiefFirst}, worker 1 waits even longer: until the chief has come back from {@link
 * ReplicatedTraining#finish} (which must then give up after {@code chiefTimeout}). Both write the
 * global step finish returned them: chief.txt and worker-1.txt.
 */
final class FinishingWorkers implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private static final Duration WAIT = Duration.ofMinutes(2);
  private final int steps;
  private final Duration chiefTimeout;
  private final boolean chiefFirst;

  FinishingWorkers(int steps, Duration chiefTimeout, boolean chiefFirst) {
    this.steps = steps;
    this.chiefTimeout = chiefTimeout;
    this.chiefFirst = chiefFirst;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var w = tf.withDevice(ctx.variableDevice(0)).withName("w").variable(tf.constant(1f));
      var local = tf.withDevice(ctx.localDevice());
      // Through a mul: the gradient of an op that reads the variable directly crashes TF Java
      // 1.1.0.
      var loss = local.math.square(local.math.mul(w, local.constant(1f)));
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(ctx, graph, new GradientDescent(graph, 0.01f), loss);
      TrainingLoop.builder(ctx, training)
          .beginTimeout(WAIT)
          .finishTimeout(ctx.isChief() ? chiefTimeout : WAIT)
          .onBegin(
              (session, step) -> {
                if (!ctx.isChief()) {
                  awaitChief(ctx, session, training);
                }
              })
          .data(TestBatches.empty(steps))
          .onFinish(
              (session, finished) ->
                  LinearRegressionNode.write(
                      ctx,
                      ctx.isChief() ? "chief.txt" : "worker-" + ctx.taskIndex() + ".txt",
                      Long.toString(finished)))
          .build()
          .run(graph);
    }
  }

  private void awaitChief(NodeContext ctx, Session session, ReplicatedTraining training)
      throws Exception {
    Path chiefFile = new Path(ctx.modelDir(), "chief.txt");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      boolean ready;
      if (chiefFirst) {
        ready = chiefFile.getFileSystem(ctx.hadoopConf()).exists(chiefFile);
      } else {
        try (TInt64 step = (TInt64) session.runner().fetch(training.globalStep()).run().get(0)) {
          ready = step.getLong() >= steps;
        }
      }
      if (ready) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Cannot start worker 1: the chief did not get ahead");
      }
      Thread.sleep(50);
    }
  }
}
