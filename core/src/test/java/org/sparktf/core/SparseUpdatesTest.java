package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Sparse updates of looked-up tables equal the dense updates of TensorFlow Java's optimizers, in a
 * local session.
 */
class SparseUpdatesTest {
  private static final int ROWS = 10;
  private static final int DIM = 3;
  // Ids 1 and 4 repeat, within a row and across rows: their gradients must be summed first.
  private static final long[][] IDS = {{1, 2, 1}, {4, 1, 9}, {4, 4, 0}};
  private static final float[] TARGETS = {1f, -2f, 0.5f};
  // The task of a local session: a table placed there is looked up by its distinct ids.
  static final DeviceSpec LOCAL_TASK =
      DeviceSpec.newBuilder().job("localhost").replica(0).task(0).build();

  static List<SparseOptimizer> optimizers() {
    return List.of(
        SparseOptimizer.sgd(0.1f),
        SparseOptimizer.adaGrad(0.1f, 0.1f),
        SparseOptimizer.ftrl(0.1f, -0.5f, 0.1f, 0.001f, 0.01f));
  }

  /** The embedding model's variables after {@code steps} steps, sparse or dense. */
  private static float[][] trainEmbedding(SparseOptimizer optimizer, boolean sparse, int steps) {
    return trainEmbedding(optimizer, sparse, steps, 1);
  }

  /**
   * The embedding model's variables after {@code steps} steps, sparse or dense, the table in {@code
   * shards} shards (sparse only).
   */
  static float[][] trainEmbedding(
      SparseOptimizer optimizer, boolean sparse, int steps, int shards) {
    return trainEmbedding(optimizer, sparse, steps, shards, false);
  }

  /**
   * The embedding model's variables after {@code steps} steps, sparse or dense, the table in {@code
   * shards} shards (sparse only), placed on this process's task or on no device: a lookup of a
   * placed table gathers each distinct id once.
   */
  static float[][] trainEmbedding(
      SparseOptimizer optimizer, boolean sparse, int steps, int shards, boolean placed) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      // FTRL's weights are a function of its accumulators, so a dense FTRL step also moves the
      // rows without gradient unless they are 0: FTRL tables start at 0, as they should.
      boolean ftrl = optimizer.toString().startsWith("ftrl");
      float[][] initial = new float[ROWS][DIM];
      for (int r = 0; r < ROWS; r++) {
        for (int d = 0; d < DIM; d++) {
          initial[r][d] = ftrl ? 0f : 0.1f * (r - 4) + 0.03f * d;
        }
      }
      ShardedTable table =
          ShardedTable.create(
              tf,
              "table",
              Shape.of(ROWS, DIM),
              shards,
              s -> placed ? LOCAL_TASK : null,
              (ops, first, shape) ->
                  ops.constant(
                      java.util.Arrays.copyOfRange(
                          initial, (int) first, (int) (first + shape.size(0)))));
      // A dense variable trained alongside: a bias, whose update cannot race the rows' gradient
      // (which reads only the forward pass and constants).
      Variable<TFloat32> bias = tf.withName("bias").variable(tf.constant(new float[] {0.5f}));
      Operand<TFloat32> w = tf.constant(new float[] {0.5f, -1f, 2f});
      Placeholder<TInt64> ids = tf.placeholder(TInt64.class);
      Placeholder<TFloat32> y = tf.placeholder(TFloat32.class);
      SparseLookup lookup = SparseLookup.gather(tf, table, ids);
      Operand<TFloat32> rows =
          sparse ? lookup.rows() : tf.gather(lookup.table(), ids, tf.constant(0));
      // [batch, ids, dim] · w, summed over ids and dims: a prediction per example.
      Operand<TFloat32> prediction =
          tf.math.add(tf.reduceSum(tf.math.mul(rows, w), tf.constant(new int[] {1, 2})), bias);
      Operand<TFloat32> loss =
          tf.math.mean(tf.math.square(tf.math.sub(prediction, y)), tf.constant(0));
      NodeContext ctx = new LocalNodeContext();
      ReplicatedTraining training =
          sparse
              ? ReplicatedTraining.asynchronous(ctx, graph, optimizer, loss, List.of(lookup))
              : ReplicatedTraining.asynchronous(ctx, graph, optimizer.dense(graph), loss);
      try (Session session = new Session(graph);
          TInt64 idsValue = TInt64.tensorOf(StdArrays.ndCopyOf(IDS));
          TFloat32 yValue = TFloat32.vectorOf(TARGETS)) {
        training.begin(session, Duration.ofSeconds(10));
        for (int i = 0; i < steps; i++) {
          training.step(session, Map.<Operand<?>, Tensor>of(ids, idsValue, y, yValue));
        }
        try (TInt64 every = TInt64.vectorOf(java.util.stream.LongStream.range(0, ROWS).toArray());
            var result = session.runner().feed(ids, every).fetch(rows).fetch(bias).run()) {
          float[][] tableValue = StdArrays.array2dCopyOf((TFloat32) result.get(0));
          float[] wValue = StdArrays.array1dCopyOf((TFloat32) result.get(1));
          float[][] all = new float[ROWS + 1][];
          System.arraycopy(tableValue, 0, all, 0, ROWS);
          all[ROWS] = wValue;
          return all;
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  void oneSparseStepEqualsOneDenseStepWithRepeatedIds(SparseOptimizer optimizer) {
    float[][] before = trainEmbedding(optimizer, false, 0);
    float[][] dense = trainEmbedding(optimizer, false, 1);
    float[][] sparse = trainEmbedding(optimizer, true, 1);
    for (int r = 0; r <= ROWS; r++) {
      for (int d = 0; d < dense[r].length; d++) {
        assertThat(sparse[r][d])
            .as("row %d dim %d", r, d)
            .isCloseTo(dense[r][d], Offset.offset(1e-6f));
      }
    }
    // The step moved the looked-up rows (and the bias), and no other row.
    assertThat(dense[4][0]).isNotEqualTo(before[4][0]);
    assertThat(dense[ROWS][0]).isNotEqualTo(before[ROWS][0]);
    assertThat(dense[5]).containsExactly(before[5]);
    assertThat(sparse[5]).containsExactly(before[5]);
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  void oneSparseStepOfAPlacedTableEqualsOneDenseStepWithRepeatedIds(SparseOptimizer optimizer) {
    float[][] dense = trainEmbedding(optimizer, false, 1);
    float[][] sparse = trainEmbedding(optimizer, true, 1, 1, true);
    for (int r = 0; r <= ROWS; r++) {
      for (int d = 0; d < dense[r].length; d++) {
        assertThat(sparse[r][d])
            .as("row %d dim %d", r, d)
            .isCloseTo(dense[r][d], Offset.offset(1e-6f));
      }
    }
    assertThat(sparse[4][0]).isNotEqualTo(trainEmbedding(optimizer, false, 0)[4][0]);
  }

  @Test
  void aPlacedTableGathersEachDistinctIdOnceAndItsUpdateReusesThem() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> table =
          tf.withDevice(LOCAL_TASK)
              .withName("table")
              .variable(tf.zeros(tf.constant(new long[] {ROWS, DIM}), TFloat32.class));
      SparseLookup lookup = SparseLookup.gather(tf, table, tf.constant(IDS));
      Operand<TFloat32> loss =
          tf.reduceSum(tf.math.square(lookup.rows()), tf.constant(new int[] {0, 1, 2}));
      ReplicatedTraining.asynchronous(
          new LocalNodeContext(),
          graph,
          SparseOptimizer.adaGrad(0.1f, 0.1f),
          loss,
          List.of(lookup));
      List<org.tensorflow.GraphOperation> gathers = new java.util.ArrayList<>();
      List<String> uniques = new java.util.ArrayList<>();
      graph
          .operations()
          .forEachRemaining(
              op -> {
                org.tensorflow.GraphOperation g = (org.tensorflow.GraphOperation) op;
                if (op.type().equals("GatherV2") && g.device().contains("/job:localhost")) {
                  gathers.add(g);
                }
                if (op.type().startsWith("Unique")) {
                  uniques.add(op.name());
                }
              });
      // The table's device gathers the distinct ids; the one Unique serves the update as well.
      assertThat(gathers).hasSize(1);
      assertThat(gathers.get(0).input(1).op().type()).startsWith("Unique");
      assertThat(uniques).hasSize(1);
      try (Session session = new Session(graph)) {
        session.initialize();
        try (TFloat32 rows = (TFloat32) session.runner().fetch(lookup.rows()).run().get(0)) {
          assertThat(rows.shape()).isEqualTo(Shape.of(3, 3, DIM));
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  void tenSparseStepsEqualTenDenseSteps(SparseOptimizer optimizer) {
    float[][] dense = trainEmbedding(optimizer, false, 10);
    float[][] sparse = trainEmbedding(optimizer, true, 10);
    for (int r = 0; r <= ROWS; r++) {
      for (int d = 0; d < dense[r].length; d++) {
        assertThat(sparse[r][d]).isCloseTo(dense[r][d], Offset.offset(1e-5f));
      }
    }
  }

  /** The log loss over all the data of a logistic regression over hashed ids, after training. */
  private static double trainLogistic(boolean sparse) {
    int buckets = 200;
    int perExample = 5;
    int examples = 2048;
    Random random = new Random(7);
    float[] planted = new float[buckets];
    for (int i = 0; i < buckets; i++) {
      planted[i] = (float) random.nextGaussian();
    }
    long[][] ids = new long[examples][perExample];
    float[] labels = new float[examples];
    for (int e = 0; e < examples; e++) {
      double logit = -0.5;
      for (int k = 0; k < perExample; k++) {
        ids[e][k] = random.nextInt(buckets);
        logit += planted[(int) ids[e][k]];
      }
      labels[e] = random.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1f : 0f;
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> weights =
          tf.withName("weights")
              .variable(tf.zeros(tf.constant(new long[] {buckets}), TFloat32.class));
      Variable<TFloat32> bias = tf.withName("bias").variable(tf.constant(0f));
      Placeholder<TInt64> idsIn =
          tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, perExample)));
      Placeholder<TFloat32> y = tf.placeholder(TFloat32.class);
      SparseLookup lookup = SparseLookup.gather(tf, weights, idsIn);
      Operand<TFloat32> rows = sparse ? lookup.rows() : tf.gather(weights, idsIn, tf.constant(0));
      Operand<TFloat32> logits = tf.math.add(tf.reduceSum(rows, tf.constant(1)), bias);
      // max(x, 0) - x*y + log(1 + exp(-|x|)): the stable log loss of logits x against labels y.
      Operand<TFloat32> losses =
          tf.math.add(
              tf.math.sub(tf.math.maximum(logits, tf.constant(0f)), tf.math.mul(logits, y)),
              tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(logits)))));
      Operand<TFloat32> loss = tf.math.mean(losses, tf.constant(0));
      SparseOptimizer optimizer = SparseOptimizer.adaGrad(0.3f, 0.1f);
      NodeContext ctx = new LocalNodeContext();
      ReplicatedTraining training =
          sparse
              ? ReplicatedTraining.asynchronous(ctx, graph, optimizer, loss, List.of(lookup))
              : ReplicatedTraining.asynchronous(ctx, graph, optimizer.dense(graph), loss);
      int batch = 64;
      try (Session session = new Session(graph)) {
        training.begin(session, Duration.ofSeconds(10));
        for (int epoch = 0; epoch < 5; epoch++) {
          for (int start = 0; start < examples; start += batch) {
            long[][] b = java.util.Arrays.copyOfRange(ids, start, start + batch);
            float[] l = java.util.Arrays.copyOfRange(labels, start, start + batch);
            try (TInt64 bIds = TInt64.tensorOf(StdArrays.ndCopyOf(b));
                TFloat32 bY = TFloat32.vectorOf(l)) {
              training.step(session, Map.<Operand<?>, Tensor>of(idsIn, bIds, y, bY));
            }
          }
        }
        try (TInt64 allIds = TInt64.tensorOf(StdArrays.ndCopyOf(ids));
            TFloat32 allY = TFloat32.vectorOf(labels);
            TFloat32 value =
                (TFloat32)
                    session.runner().feed(idsIn, allIds).feed(y, allY).fetch(loss).run().get(0)) {
          return value.getFloat();
        }
      }
    }
  }

  @Test
  void sparseAndDenseTrainingReachTheSameLossWithinOnePercent() {
    double dense = trainLogistic(false);
    double sparse = trainLogistic(true);
    // Training learned something: the constant-prediction log loss is about 0.69.
    assertThat(dense).isLessThan(0.6);
    assertThat(sparse).isCloseTo(dense, Offset.offset(0.01 * dense));
  }

  @Test
  void aLookupWhoseRowsTheLossIgnoresIsRefused() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> table =
          tf.withName("unused").variable(tf.zeros(tf.constant(new long[] {4}), TFloat32.class));
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(1f));
      SparseLookup lookup = SparseLookup.gather(tf, table, tf.constant(new long[] {1}));
      Operand<TFloat32> loss = tf.math.square(w);
      assertThatThrownBy(
              () ->
                  ReplicatedTraining.asynchronous(
                      new LocalNodeContext(),
                      graph,
                      SparseOptimizer.sgd(0.1f),
                      loss,
                      List.of(lookup)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Cannot compute the gradients for sparse training")
          .hasMessageContaining("unreachable")
          .hasMessageContaining("the rows of every lookup");
    }
  }

  @Test
  void invalidOptimizerSettingsAreRefused() {
    assertThatThrownBy(() -> SparseOptimizer.adaGrad(0.1f, 0f))
        .hasMessage("Invalid initial accumulator: 0.0; it must be > 0");
    assertThatThrownBy(() -> SparseOptimizer.sgd(-1f))
        .hasMessage("Invalid learning rate: -1.0; it must be > 0");
  }
}
