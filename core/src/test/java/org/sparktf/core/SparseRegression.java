package org.sparktf.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.sparktf.core.BatchSource.Batch;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * y = table[id0] + table[id1] + b·x, with the table on the first PS task (updated sparsely) and b
 * on the second, x a Gaussian feature: each worker runs {@code steps} steps, then writes "table...
 * b finalGlobalStep" to worker-N.txt. The planted table is {@link #planted}, b is 2. With more than
 * one shard the table is a {@link ShardedTable} over the PS tasks, and the chief checkpoints and
 * exports a serving graph ({@link #SERVING_IDS} to {@link #SERVING_ROWS}, the table unsharded)
 * under {@code <modelDir>/export}.
 */
final class SparseRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  static final int ROWS = 8;
  private static final Duration WAIT = Duration.ofSeconds(60);
  static final String SERVING_IDS = "ids";
  static final String SERVING_ROWS = "rows";
  private final boolean synchronous;
  private final int steps;
  private final int shards;

  SparseRegression(boolean synchronous, int steps) {
    this(synchronous, steps, 1);
  }

  SparseRegression(boolean synchronous, int steps, int shards) {
    this.synchronous = synchronous;
    this.steps = steps;
    this.shards = shards;
  }

  static float planted(int row) {
    return 0.5f * row - 1f;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ShardedTable table =
          ShardedTable.onParameterServers(
              ctx,
              tf,
              "table",
              Shape.of(ROWS),
              shards,
              0,
              (ops, first, shape) -> ops.zeros(ops.constant(shape.asArray()), TFloat32.class));
      Variable<TFloat32> b =
          tf.withDevice(ctx.variableDevice(1)).withName("b").variable(tf.constant(0f));
      Ops local = tf.withDevice(ctx.localDevice());
      Placeholder<TInt64> ids = local.placeholder(TInt64.class);
      Placeholder<TFloat32> x = local.placeholder(TFloat32.class);
      Placeholder<TFloat32> y = local.placeholder(TFloat32.class);
      SparseLookup lookup = SparseLookup.gather(tf, table, ids);
      Operand<TFloat32> prediction =
          local.math.add(local.reduceSum(lookup.rows(), local.constant(1)), local.math.mul(b, x));
      Operand<TFloat32> loss =
          local.math.mean(local.math.square(local.math.sub(prediction, y)), local.constant(0));
      SparseOptimizer sgd = SparseOptimizer.sgd(0.5f);
      ReplicatedTraining training =
          synchronous
              ? ReplicatedTraining.synchronous(ctx, graph, sgd, loss, List.of(lookup), WAIT)
              : ReplicatedTraining.asynchronous(ctx, graph, sgd, loss, List.of(lookup));
      Random random = new Random(17 + ctx.taskIndex());
      TrainingLoop.Builder loop = TrainingLoop.builder(ctx, training);
      if (shards > 1) {
        loop.checkpoints(0, 0, 1)
            .exportSavedModel(ctx.modelDir() + "/export", SparseRegression::serving);
      }
      loop.beginTimeout(WAIT)
          .finishTimeout(WAIT)
          .data(TestBatches.take(steps, () -> batch(random, ids, x, y)))
          .onFinish(
              (session, step) -> {
                long[] every = new long[ROWS];
                for (int row = 0; row < ROWS; row++) {
                  every[row] = row;
                }
                // Every row through the lookup: the rows of all shards, in id order.
                try (TInt64 all = TInt64.vectorOf(every);
                    var result =
                        session.runner().feed(ids, all).fetch(lookup.rows()).fetch(b).run()) {
                  StringBuilder text = new StringBuilder();
                  for (float w : StdArrays.array1dCopyOf((TFloat32) result.get(0))) {
                    text.append(w).append(' ');
                  }
                  text.append(((TFloat32) result.get(1)).getFloat()).append(' ').append(step);
                  LinearRegressionNode.write(
                      ctx, "worker-" + ctx.taskIndex() + ".txt", text.toString());
                }
              })
          .build()
          .run(graph);
    }
  }

  /** The table, unsharded, and a signature that looks ids up in it. */
  static Signature serving(Ops tf) {
    Variable<TFloat32> table =
        tf.withName("table").variable(tf.zeros(tf.constant(new long[] {ROWS}), TFloat32.class));
    Placeholder<TInt64> ids = tf.withName(SERVING_IDS).placeholder(TInt64.class);
    return Signature.builder()
        .input(SERVING_IDS, ids)
        .output(SERVING_ROWS, tf.gather(table, ids, tf.constant(0)))
        .build();
  }

  /** {@link TestBatches#BATCH} examples of two ids each (often the same id twice) and their y. */
  private static Batch batch(
      Random random, Operand<TInt64> ids, Operand<TFloat32> x, Operand<TFloat32> y) {
    long[][] batchIds = new long[TestBatches.BATCH][2];
    float[] xs = new float[TestBatches.BATCH];
    float[] targets = new float[TestBatches.BATCH];
    for (int i = 0; i < TestBatches.BATCH; i++) {
      batchIds[i][0] = random.nextInt(ROWS);
      batchIds[i][1] = random.nextInt(ROWS);
      xs[i] = (float) random.nextGaussian();
      targets[i] = planted((int) batchIds[i][0]) + planted((int) batchIds[i][1]) + 2f * xs[i];
    }
    return Batch.of(
        Map.of(
            ids,
            TInt64.tensorOf(StdArrays.ndCopyOf(batchIds)),
            x,
            TFloat32.vectorOf(xs),
            y,
            TFloat32.vectorOf(targets)));
  }
}
