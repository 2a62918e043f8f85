package org.sparktf.examples.imagenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparktf.ml.model.ModelBuilder;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

class InceptionV3Test {
  /**
   * Trainable weights of the published Inception v3 for 1000 classes without the auxiliary head
   * (convolution kernels, batch-norm offsets, the 2048x1000 logits and their biases); the same
   * network holds 34,432 batch-norm moving averages besides (23,851,784 in all).
   */
  private static final long PUBLISHED_TRAINABLE_1000 = 23_817_352L;

  private static final long MOVING_AVERAGES = 34_432L;

  /** Element counts of the training graph's variables: [trainable, moving averages]. */
  private static long[] countWeights(InceptionV3 model, int size) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var images = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, size, size, 3)));
      var labels = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      ModelBuilder builder =
          new ModelBuilder(tf, tf, Map.of("images", images), labels, i -> null, true, 1);
      var logits = model.build(builder, images);
      assertThat(logits.main().shape().asArray()).containsExactly(-1, model.numClasses());
      if (model.auxHead()) {
        assertThat(logits.aux().shape().asArray()).containsExactly(-1, model.numClasses());
      }
      long trainable = 0;
      long moving = 0;
      for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("VariableV2")) {
          long n = op.output(0).shape().size();
          if (op.name().contains("_moving_")) {
            moving += n;
          } else {
            trainable += n;
          }
        }
      }
      return new long[] {trainable, moving};
    }
  }

  @Test
  void theFullNetworkHasThePublishedNumberOfWeights() {
    long[] counts = countWeights(new InceptionV3(1000, 1f, false, 0.8f, 0.9997f), 299);
    assertThat(counts[0]).isEqualTo(PUBLISHED_TRAINABLE_1000);
    assertThat(counts[1]).isEqualTo(MOVING_AVERAGES);
  }

  @Test
  void theImageNetNetworkWithItsAuxiliaryHeadHasAbout25MillionWeights() {
    long[] counts = countWeights(InceptionV3.imagenet(), 299);
    // One more class (background) in the logits: 2048 weights + 1 bias.
    long main = PUBLISHED_TRAINABLE_1000 + 2048 + 1;
    // Auxiliary head: 1x1 conv 768->128 and 5x5 conv 128->768, each with batch-norm offsets,
    // then logits 768 -> 1001 with biases.
    long aux = 768 * 128 + 128 + 5 * 5 * 128 * 768 + 768 + 768 * 1001 + 1001;
    assertThat(counts[0]).isEqualTo(main + aux);
    assertThat(counts[0]).isBetween(24_000_000L, 27_500_000L);
    assertThat(counts[1]).isEqualTo(MOVING_AVERAGES + 2 * (128 + 768));
  }

  @Test
  void aThinnerNetworkBuildsAtTheSmallestInputSize() {
    long[] full = countWeights(new InceptionV3(1001, 1f, true, 0.8f, 0.9997f), 75);
    long[] thin = countWeights(new InceptionV3(1001, 0.25f, true, 0.8f, 0.9997f), 75);
    // Depths scale by 1/4, weights of convolutions by about 1/16.
    assertThat(thin[0]).isLessThan(full[0] / 8);
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThatThrownBy(() -> new InceptionV3(1, 1f, false, 0.8f, 0.9997f))
        .hasMessage("Invalid number of classes: 1; it must be >= 2");
    assertThatThrownBy(() -> new InceptionV3(10, 0f, false, 0.8f, 0.9997f))
        .hasMessageContaining("Invalid width multiplier: 0.0");
    assertThatThrownBy(() -> new InceptionV3(10, 1f, false, 0.8f, 1f))
        .hasMessageContaining("Invalid batch-norm decay: 1.0");
  }
}
