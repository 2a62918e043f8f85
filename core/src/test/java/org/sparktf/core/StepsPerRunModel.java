package org.sparktf.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * An embedding regression (a [10, 3] table on the first parameter server, looked up by 3 ids per
 * example, plus a bias there) trained on a fixed sequence of batches with repeated ids, {@code
 * stepsPerRun} steps per run ({@link ReplicatedTraining#asynchronous(NodeContext, Graph,
 * SparseOptimizer, int, ReplicatedTraining.StepModel)}), with sparse or dense updates of the table.
 */
final class StepsPerRunModel {
  static final int ROWS = 10;
  static final int DIM = 3;
  static final int BATCHES = 6;

  /**
   * What a training left: the global step after each run, the last step's loss, and the table's
   * rows then the bias, flattened.
   */
  record Trained(List<Long> steps, double lastLoss, float[] values) {
    /** "steps,... lastLoss value,..." on one line. */
    String line() {
      StringBuilder s = new StringBuilder();
      s.append(String.join(",", steps.stream().map(String::valueOf).toList()));
      s.append(' ').append(lastLoss).append(' ');
      for (int i = 0; i < values.length; i++) {
        s.append(i == 0 ? "" : ",").append(values[i]);
      }
      return s.toString();
    }

    static Trained parse(String line) {
      String[] parts = line.trim().split(" ");
      List<Long> steps = new ArrayList<>();
      for (String s : parts[0].split(",")) {
        steps.add(Long.parseLong(s));
      }
      String[] v = parts[2].split(",");
      float[] values = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        values[i] = Float.parseFloat(v[i]);
      }
      return new Trained(steps, Double.parseDouble(parts[1]), values);
    }
  }

  private StepsPerRunModel() {}

  /** Trains {@link #BATCHES} steps, {@code stepsPerRun} (a divisor of it) per run. */
  static Trained train(
      NodeContext ctx, SparseOptimizer optimizer, boolean sparse, int stepsPerRun) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Ops ps = tf.withDevice(ctx.variableDevice(0));
      Ops local = tf.withDevice(ctx.localDevice());
      boolean ftrl = optimizer.toString().startsWith("ftrl");
      float[][] initial = new float[ROWS][DIM];
      for (int r = 0; r < ROWS; r++) {
        for (int d = 0; d < DIM; d++) {
          initial[r][d] = ftrl ? 0f : 0.1f * (r - 4) + 0.03f * d;
        }
      }
      Variable<TFloat32> table = ps.withName("table").variable(ps.constant(initial));
      Variable<TFloat32> bias = ps.withName("bias").variable(ps.constant(new float[] {0.5f}));
      List<Placeholder<TInt64>> ids = new ArrayList<>();
      List<Placeholder<TFloat32>> targets = new ArrayList<>();
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(
              ctx,
              graph,
              optimizer,
              stepsPerRun,
              (step, k) -> {
                ids.add(local.placeholder(TInt64.class));
                targets.add(local.placeholder(TFloat32.class));
                SparseLookup lookup = SparseLookup.gather(step, table, ids.get(k));
                Operand<TFloat32> w = local.constant(new float[] {0.5f, -1f, 2f});
                Operand<TFloat32> prediction =
                    local.math.add(
                        local.reduceSum(
                            local.math.mul(lookup.rows(), w), local.constant(new int[] {1, 2})),
                        ReplicatedTraining.read(step, bias));
                Operand<TFloat32> loss =
                    local.math.mean(
                        local.math.square(local.math.sub(prediction, targets.get(k))),
                        local.constant(0));
                return new ReplicatedTraining.StepLoss(loss, sparse ? List.of(lookup) : List.of());
              });
      List<TInt64> idValues = new ArrayList<>();
      List<TFloat32> targetValues = new ArrayList<>();
      Random random = new Random(7);
      try (Session session = ctx.session(graph)) {
        for (int b = 0; b < BATCHES; b++) {
          long[][] batch = new long[3][3];
          float[] y = new float[3];
          for (int e = 0; e < 3; e++) {
            for (int i = 0; i < 3; i++) {
              // Ids 0..4 only: every batch repeats some.
              batch[e][i] = random.nextInt(5);
            }
            y[e] = random.nextFloat() * 4 - 2;
          }
          idValues.add(TInt64.tensorOf(StdArrays.ndCopyOf(batch)));
          targetValues.add(TFloat32.vectorOf(y));
        }
        training.begin(session, Duration.ofSeconds(60));
        List<Long> steps = new ArrayList<>();
        for (int run = 0; run < BATCHES / stepsPerRun; run++) {
          Map<Operand<?>, Tensor> feeds = new HashMap<>();
          for (int k = 0; k < stepsPerRun; k++) {
            feeds.put(ids.get(k), idValues.get(run * stepsPerRun + k));
            feeds.put(targets.get(k), targetValues.get(run * stepsPerRun + k));
          }
          steps.add(training.step(session, feeds));
        }
        double lastLoss = training.lastLoss();
        training.finish(session, Duration.ofSeconds(60));
        try (var result = session.runner().fetch(table).fetch(bias).run()) {
          float[][] t = StdArrays.array2dCopyOf((TFloat32) result.get(0));
          float[] values = new float[ROWS * DIM + 1];
          for (int r = 0; r < ROWS; r++) {
            System.arraycopy(t[r], 0, values, r * DIM, DIM);
          }
          values[ROWS * DIM] = ((TFloat32) result.get(1)).getFloat(0);
          return new Trained(steps, lastLoss, values);
        }
      } finally {
        idValues.forEach(Tensor::close);
        targetValues.forEach(Tensor::close);
      }
    }
  }
}
