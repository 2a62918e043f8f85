package org.sparktf.core;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.sparktf.core.BatchSource.Batch;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Counts how often training took each row: the model is one vector of {@code rows} counters on the
 * parameter server, and a step on a batch of ids adds 1 to each id's counter (SGD with learning
 * rate 1 on minus the sum of the looked-up counters). It checkpoints every {@code checkpointSteps}
 * global steps like any model, so after a restart the counters say which rows the restored model
 * holds and which were trained again. The chief writes {@code begin-<step>.txt} at each start,
 * {@code step.txt} (the global step) after each of its steps and, at the end, {@code counts.txt}:
 * the counter of every row.
 *
 * <p>A first start (from step 0) steps at most once per {@code paceMillis} per worker, so that a
 * test can act at a chosen step on any machine.
 */
final class RowCounting implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private static final Duration WAIT = Duration.ofSeconds(90);
  static final int BATCH = 32;
  private final int rows;
  private final long checkpointSteps;
  private final long paceMillis;

  RowCounting(int rows, long checkpointSteps, long paceMillis) {
    this.rows = rows;
    this.checkpointSteps = checkpointSteps;
    this.paceMillis = paceMillis;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    Path modelDir = Path.of(java.net.URI.create(ctx.modelDir()));
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> counts =
          tf.withDevice(ctx.variableDevice(0))
              .withName("counts")
              .variable(tf.fill(tf.constant(new long[] {rows}), tf.constant(0f)));
      Ops local = tf.withDevice(ctx.localDevice());
      Placeholder<TInt64> ids = local.placeholder(TInt64.class);
      Operand<TFloat32> loss =
          local.math.neg(
              local.reduceSum(local.gather(counts, ids, local.constant(0)), local.constant(0)));
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(ctx, graph, new GradientDescent(graph, 1f), loss);
      long[] begin = {0};
      TrainingLoop.builder(ctx, training)
          .checkpoints(checkpointSteps, 0, 3)
          .beginTimeout(WAIT)
          .finishTimeout(WAIT)
          .onBegin(
              (session, step) -> {
                begin[0] = step;
                if (ctx.isChief()) {
                  write(modelDir, "begin-" + step + ".txt", Long.toString(step));
                }
              })
          .data(
              1,
              epoch ->
                  BatchSource.feed(
                      ctx.dataFeed(), BATCH, batch -> Batch.of(Map.of(ids, batch.int64("id")))))
          .every(
              1,
              (session, step) -> {
                if (ctx.isChief()) {
                  write(modelDir, "step.txt", Long.toString(step));
                }
                if (begin[0] == 0 && paceMillis > 0) {
                  LockSupport.parkNanos(paceMillis * 1_000_000L);
                }
              })
          .onFinish(
              (session, step) -> {
                if (ctx.isChief()) {
                  try (TFloat32 values = (TFloat32) session.runner().fetch(counts).run().get(0)) {
                    write(
                        modelDir,
                        "counts.txt",
                        IntStream.range(0, rows)
                            .mapToObj(i -> Integer.toString(Math.round(values.getFloat(i))))
                            .collect(Collectors.joining(" ")));
                  }
                }
              })
          .build()
          .run(graph);
    }
  }

  /** Replaces {@code name} in the model directory at once, so a reader never sees half of it. */
  private static void write(Path modelDir, String name, String text) throws java.io.IOException {
    Path tmp = modelDir.resolve("." + name + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, modelDir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }
}
