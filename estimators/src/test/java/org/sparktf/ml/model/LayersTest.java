package org.sparktf.ml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class LayersTest {
  private static ModelBuilder builder(
      Ops tf, Map<String, org.tensorflow.Operand<TFloat32>> inputs, boolean training) {
    return new ModelBuilder(tf, tf, inputs, null, i -> null, training, 7);
  }

  @Test
  void convolutionPoolingDenseAndEmbeddingHaveTheExpectedShapes() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var images =
          tf.constant(Shape.of(2, 8, 8, 3), DataBuffers.of(new float[2 * 8 * 8 * 3], true, false));
      ModelBuilder model = builder(tf, Map.of(), true);
      var conv = Layers.conv2d(model, "conv1", images, 5, 3, 4);
      var pooled = Layers.maxPool(model, conv, 2, 2);
      var flat = tf.reshape(pooled, tf.constant(new int[] {2, 4 * 4 * 4}));
      var dense = Layers.dense(model, "fc", flat, 64, 10, false);
      var embedded = Layers.embedding(model, "words", tf.constant(new long[] {3, 1, 3}), 5, 6);
      try (Session session = new Session(graph)) {
        session.initialize();
        try (var result =
            session.runner().fetch(conv).fetch(pooled).fetch(dense).fetch(embedded).run()) {
          assertThat(result.get(0).shape()).isEqualTo(Shape.of(2, 8, 8, 4));
          assertThat(result.get(1).shape()).isEqualTo(Shape.of(2, 4, 4, 4));
          assertThat(result.get(2).shape()).isEqualTo(Shape.of(2, 10));
          TFloat32 rows = (TFloat32) result.get(3);
          assertThat(rows.shape()).isEqualTo(Shape.of(3, 6));
          // Ids 3 and 3 read the same row of the table.
          assertThat(rows.getFloat(0, 2)).isEqualTo(rows.getFloat(2, 2));
        }
      }
    }
  }

  @Test
  void embeddingAndWideLookupsAreRecordedForSparseUpdatesOnlyInTheTrainingGraph() {
    for (boolean training : new boolean[] {true, false}) {
      try (Graph graph = new Graph()) {
        Ops tf = Ops.create(graph);
        ModelBuilder model = builder(tf, Map.of(), training);
        var ids = tf.constant(new long[][] {{1, 4, 1}, {0, 2, 2}});
        var embedded = Layers.embedding(model, "words", ids, 5, 6);
        var wide = Layers.wide(model, "linear", ids, 8);
        if (training) {
          assertThat(model.sparseLookups())
              .extracting(lookup -> lookup.table().op().name())
              .containsExactly("words_embeddings", "linear_weights");
        } else {
          assertThat(model.sparseLookups()).isEmpty();
        }
        try (Session session = new Session(graph)) {
          session.initialize();
          try (var result = session.runner().fetch(embedded).fetch(wide).run()) {
            assertThat(result.get(0).shape()).isEqualTo(Shape.of(2, 3, 6));
            // The wide layer's weights start at 0: one logit per example, summed over its ids.
            TFloat32 logits = (TFloat32) result.get(1);
            assertThat(logits.shape()).isEqualTo(Shape.of(2));
            assertThat(logits.getFloat(0)).isEqualTo(0f);
          }
        }
      }
    }
  }

  @Test
  void sigmoidCrossEntropyMatchesItsDefinition() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ModelBuilder model = builder(tf, Map.of(), true);
      var loss =
          Layers.sigmoidCrossEntropy(
              model, tf.constant(new float[] {2f, -1f, 0f}), tf.constant(new float[] {1f, 0f, 1f}));
      double expected = (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-1)) + Math.log(2)) / 3;
      try (Session session = new Session(graph);
          TFloat32 value = (TFloat32) session.runner().fetch(loss).run().get(0)) {
        assertThat(value.getFloat())
            .isCloseTo((float) expected, org.assertj.core.data.Offset.offset(1e-6f));
      }
    }
  }

  @Test
  void dropoutIsTheIdentityWhenServingAndTheLabelIsRefused() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ModelBuilder serving = builder(tf, Map.of("x", tf.constant(new float[] {1f})), false);
      var x = serving.input("x");
      assertThat(Layers.dropout(serving, x, 0.5f)).isSameAs(x);
      assertThatThrownBy(serving::labelAsClasses).hasMessageContaining("this is the serving graph");
      assertThatThrownBy(() -> serving.input("y"))
          .hasMessageContaining("Invalid input: y; the model's inputs are [x]");
    }
  }

  @Test
  void stridedValidConvolutionsPoolingAndConcatenationHaveTheExpectedShapes() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var images =
          tf.constant(Shape.of(2, 9, 9, 3), DataBuffers.of(new float[2 * 9 * 9 * 3], true, false));
      ModelBuilder model = builder(tf, Map.of(), true);
      var strided = Layers.conv2d(model, "strided", images, 3, 3, 3, 4, 2, "VALID");
      var wide = Layers.conv2dBatchNormRelu(model, "wide", images, 1, 7, 3, 5, 1, "SAME", 0.99f);
      var maxPooled = Layers.maxPool(model, images, 3, 2, "VALID");
      var avgPooled = Layers.avgPool(model, wide, 3, 1, "SAME");
      var joined = Layers.concatChannels(model, java.util.List.of(wide, avgPooled));
      var global = Layers.globalAvgPool(model, joined);
      assertThat(strided.shape()).isEqualTo(Shape.of(2, 4, 4, 4));
      assertThat(maxPooled.shape()).isEqualTo(Shape.of(2, 4, 4, 3));
      assertThat(joined.shape()).isEqualTo(Shape.of(2, 9, 9, 10));
      try (Session session = new Session(graph)) {
        session.initialize();
        try (var result = session.runner().fetch(avgPooled).fetch(global).run()) {
          assertThat(result.get(0).shape()).isEqualTo(Shape.of(2, 9, 9, 5));
          assertThat(result.get(1).shape()).isEqualTo(Shape.of(2, 10));
        }
      }
      assertThatThrownBy(() -> Layers.avgPool(model, images, 2, 2, "same"))
          .hasMessageContaining("Invalid padding: same; use \"SAME\" or \"VALID\"");
    }
  }

  @Test
  void batchNormUsesBatchStatisticsWhenTrainingAndMovesTheAveragesTowardsThem() {
    // One channel, values 1..4: mean 2.5, variance 1.25.
    float[] values = {1f, 2f, 3f, 4f};
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ModelBuilder model = builder(tf, Map.of(), true);
      var x = tf.constant(Shape.of(4, 1), DataBuffers.of(values, true, false));
      var y = Layers.batchNorm(model, "bn", x, 1, true, 0.9f, 0f);
      try (Session session = new Session(graph)) {
        session.initialize();
        try (TFloat32 out = (TFloat32) session.runner().fetch(y).run().get(0)) {
          for (int i = 0; i < 4; i++) {
            assertThat(out.getFloat(i, 0))
                .isCloseTo(
                    (float) ((values[i] - 2.5) / Math.sqrt(1.25)),
                    org.assertj.core.data.Offset.offset(1e-5f));
          }
        }
        try (var moving =
            session.runner().fetch("bn_moving_mean").fetch("bn_moving_variance").run()) {
          // One update from (0, 1): 0.9 * old + 0.1 * batch.
          assertThat(((TFloat32) moving.get(0)).getFloat(0))
              .isCloseTo(0.25f, org.assertj.core.data.Offset.offset(1e-6f));
          assertThat(((TFloat32) moving.get(1)).getFloat(0))
              .isCloseTo(1.025f, org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ModelBuilder serving = builder(tf, Map.of(), false);
      var x = tf.constant(Shape.of(4, 1), DataBuffers.of(values, true, false));
      var y = Layers.batchNorm(serving, "bn", x, 1, false, 0.9f, 0f);
      try (Session session = new Session(graph)) {
        session.initialize();
        // Serving: the initial moving averages (0, 1) leave the values unchanged.
        try (TFloat32 out = (TFloat32) session.runner().fetch(y).run().get(0)) {
          assertThat(out.getFloat(3, 0)).isEqualTo(4f);
        }
      }
      assertThatThrownBy(
              () -> Layers.batchNorm(serving, "scalar", tf.constant(1f), 1, false, 0.9f, 0f))
          .hasMessageContaining("Invalid input for batch normalization scalar: shape []");
    }
  }

  @Test
  void anOptimizerOverEveryVariableTrainsThroughBatchNormAndLeavesTheAveragesToIt() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ModelBuilder model = builder(tf, Map.of(), true);
      var images =
          tf.constant(
              Shape.of(2, 4, 4, 1),
              DataBuffers.of(
                  new float[] {
                    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 1, 0, 1, 0, 1, 0, 1,
                    0, 1, 0, 1, 0, 1, 0, 1
                  },
                  true,
                  false));
      var features =
          Layers.conv2dBatchNormRelu(model, "unit", images, 3, 3, 1, 2, 1, "SAME", 0.99f);
      var loss = tf.math.mean(tf.math.square(features), tf.constant(new int[] {0, 1, 2, 3}));
      var optimizer = new org.tensorflow.framework.optimizers.GradientDescent(graph, 0.1f);
      // Every variable of the graph, the moving averages included, gets a gradient.
      var gradients = optimizer.computeGradients(loss);
      assertThat(gradients).hasSize(4);
      @SuppressWarnings({"unchecked", "rawtypes"})
      var minimize = optimizer.applyGradients((java.util.List) gradients, "train");
      try (Session session = new Session(graph)) {
        session.initialize();
        float first;
        try (TFloat32 l = (TFloat32) session.runner().fetch(loss).run().get(0)) {
          first = l.getFloat();
        }
        for (var gv : gradients) {
          if (gv.getVariable().op().name().contains("moving")) {
            try (TFloat32 g = (TFloat32) session.runner().fetch(gv.getGradient()).run().get(0)) {
              assertThat(g.getFloat(0)).isZero();
              assertThat(g.getFloat(1)).isZero();
            }
          }
        }
        for (int i = 0; i < 5; i++) {
          session.runner().addTarget(minimize).run();
        }
        try (TFloat32 l = (TFloat32) session.runner().fetch(loss).run().get(0);
            TFloat32 mean = (TFloat32) session.runner().fetch("unit_bn_moving_mean").run().get(0)) {
          assertThat(l.getFloat()).isLessThan(first);
          // The forward passes moved the average.
          assertThat(mean.getFloat(0)).isNotEqualTo(0f);
        }
      }
    }
  }

  @Test
  void embeddingAndWideTablesSplitIntoTheBuildersShardCountAndReadAsOneTable() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      ModelBuilder model = new ModelBuilder(tf, tf, Map.of(), null, i -> null, true, 7, 3);
      var ids = tf.constant(new long[][] {{1, 4, 1}, {0, 7, 2}});
      var embedded = Layers.embedding(model, "words", ids, 8, 2);
      var wide = Layers.wide(model, "linear", ids, 8);
      assertThat(model.sparseLookups())
          .extracting(lookup -> lookup.sharded().numShards())
          .containsExactly(3, 3);
      assertThat(graph.operation("words_embeddings.part_2")).isNotNull();
      assertThat(graph.operation("linear_weights.part_2")).isNotNull();
      try (Session session = new Session(graph)) {
        session.initialize();
        try (var result = session.runner().fetch(embedded).fetch(wide).run()) {
          TFloat32 rows = (TFloat32) result.get(0);
          assertThat(rows.shape()).isEqualTo(Shape.of(2, 3, 2));
          // Ids 1 and 1 read the same row; ids from different shards read different rows.
          assertThat(rows.getFloat(0, 0, 1)).isEqualTo(rows.getFloat(0, 2, 1));
          assertThat(rows.getFloat(1, 1, 1)).isNotEqualTo(rows.getFloat(1, 0, 1));
          assertThat(result.get(1).shape()).isEqualTo(Shape.of(2));
        }
      }
    }
    assertThatThrownBy(() -> new ModelBuilder(null, null, Map.of(), null, i -> null, true, 7, 0))
        .hasMessage("Invalid table shard count: 0; it must be >= 1");
  }
}
