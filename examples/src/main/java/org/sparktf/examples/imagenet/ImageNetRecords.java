package org.sparktf.examples.imagenet;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.DecodeJpeg;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * Turns a batch of serialized ImageNet {@code tf.train.Example}s (the layout of TensorFlow's {@code
 * build_imagenet_data}: JPEG bytes in {@code image/encoded}, the class in {@code
 * image/class/label}, 1..1000 with 0 left for background) into model input, entirely in the graph:
 * JPEG decoding, then for training a random crop of 35-100% of the area with aspect ratio 3/4-4/3,
 * resized to the model's input size, a random horizontal flip and random brightness, contrast and
 * saturation; for evaluation the central 87.5%. Pixels end up in [-1, 1].
 */
final class ImageNetRecords {
  static final String IMAGE = "image/encoded";
  static final String LABEL = "image/class/label";

  private ImageNetRecords() {}

  /** Images [batch, size, size, 3] and labels [batch] parsed from {@code serialized} [batch]. */
  record Batch(Operand<TFloat32> images, Operand<TInt64> labels) {}

  static Batch parse(
      Ops tf, Operand<TString> serialized, int batch, int size, boolean train, long seed) {
    List<org.tensorflow.Output<?>> dense =
        tf.io
            .parseExample(
                serialized,
                strings(tf, List.of()),
                strings(tf, List.of()),
                strings(tf, List.of(IMAGE, LABEL)),
                strings(tf, List.of()),
                // Empty defaults make both features required.
                List.of(
                    tf.constant(
                        org.tensorflow.ndarray.NdArrays.ofObjects(String.class, Shape.of(0))),
                    tf.constant(new long[0])),
                0L,
                List.<Class<? extends TType>>of(),
                List.<Class<? extends TType>>of(),
                List.<Class<? extends TNumber>>of(),
                List.of(Shape.scalar(), Shape.scalar()))
            .denseValues();
    @SuppressWarnings("unchecked")
    Operand<TString> jpegs = (Operand<TString>) dense.get(0);
    @SuppressWarnings("unchecked")
    Operand<TInt64> labels = (Operand<TInt64>) dense.get(1);
    Operand<TFloat32> boxes = train ? randomBoxes(tf, batch, seed) : centralBoxes(tf, batch);
    var cropSize = tf.constant(new int[] {size, size});
    var first = tf.constant(new int[] {0});
    List<Operand<TFloat32>> images = new ArrayList<>();
    var encoded = tf.unstack(jpegs, (long) batch).output();
    for (int i = 0; i < batch; i++) {
      var decoded = tf.image.decodeJpeg(encoded.get(i), DecodeJpeg.channels(3L));
      var box = tf.slice(boxes, tf.constant(new int[] {i, 0}), tf.constant(new int[] {1, 4}));
      // One image of its own size in, [1, size, size, 3] out, in 0..255.
      images.add(
          tf.image.cropAndResize(tf.expandDims(decoded, tf.constant(0)), box, first, cropSize));
    }
    // Concat needs two inputs or more.
    Operand<TFloat32> stacked = batch == 1 ? images.get(0) : tf.concat(images, tf.constant(0));
    Operand<TFloat32> pixels = tf.math.div(stacked, tf.constant(255f));
    if (train) {
      pixels = distortColors(tf, pixels, batch, seed + 1);
    }
    return new Batch(tf.math.mul(tf.math.sub(pixels, tf.constant(0.5f)), tf.constant(2f)), labels);
  }

  /**
   * [batch, 4] normalized boxes (y1, x1, y2, x2): a random area and aspect ratio at a random place;
   * x1 and x2 swapped for half of them, which crop_and_resize turns into a horizontal flip.
   */
  private static Operand<TFloat32> randomBoxes(Ops tf, int batch, long seed) {
    var u =
        tf.random
            .randomUniform(
                tf.constant(new int[] {batch, 5}), TFloat32.class, RandomUniform.seed(seed))
            .output();
    List<org.tensorflow.Output<TFloat32>> c =
        tf.unstack(u, 5L, org.tensorflow.op.core.Unstack.axis(1L)).output();
    var area = affine(tf, c.get(0), 0.35f, 1f);
    var ratio =
        tf.math.exp(affine(tf, c.get(1), (float) Math.log(3.0 / 4), (float) Math.log(4.0 / 3)));
    var one = tf.constant(1f);
    var height = tf.math.minimum(one, tf.math.sqrt(tf.math.div(area, ratio)));
    var width = tf.math.minimum(one, tf.math.sqrt(tf.math.mul(area, ratio)));
    var y1 = tf.math.mul(c.get(2), tf.math.sub(one, height));
    var x1 = tf.math.mul(c.get(3), tf.math.sub(one, width));
    var x2 = tf.math.add(x1, width);
    var flip = tf.math.less(c.get(4), tf.constant(0.5f));
    return tf.stack(
        List.of(y1, tf.select(flip, x2, x1), tf.math.add(y1, height), tf.select(flip, x1, x2)),
        org.tensorflow.op.core.Stack.axis(1L));
  }

  private static Operand<TFloat32> centralBoxes(Ops tf, int batch) {
    float[][] boxes = new float[batch][];
    for (int i = 0; i < batch; i++) {
      boxes[i] = new float[] {0.0625f, 0.0625f, 0.9375f, 0.9375f};
    }
    return tf.constant(boxes);
  }

  /** Per image: brightness +-32/255, contrast and saturation x0.5-1.5, then clipped to [0, 1]. */
  private static Operand<TFloat32> distortColors(
      Ops tf, Operand<TFloat32> pixels, int batch, long seed) {
    var u =
        tf.random
            .randomUniform(
                tf.constant(new int[] {3, batch, 1, 1, 1}),
                TFloat32.class,
                RandomUniform.seed(seed))
            .output();
    List<org.tensorflow.Output<TFloat32>> r = tf.unstack(u, 3L).output();
    var brightness = affine(tf, r.get(0), -32f / 255, 32f / 255);
    var contrast = affine(tf, r.get(1), 0.5f, 1.5f);
    var saturation = affine(tf, r.get(2), 0.5f, 1.5f);
    Operand<TFloat32> x = tf.math.add(pixels, brightness);
    var mean =
        tf.math.mean(
            x, tf.constant(new int[] {1, 2, 3}), org.tensorflow.op.math.Mean.keepDims(true));
    x = tf.math.add(tf.math.mul(tf.math.sub(x, mean), contrast), mean);
    var grey = tf.math.mean(x, tf.constant(3), org.tensorflow.op.math.Mean.keepDims(true));
    x = tf.math.add(tf.math.mul(tf.math.sub(x, grey), saturation), grey);
    return tf.clipByValue(x, tf.constant(0f), tf.constant(1f));
  }

  private static Operand<TFloat32> affine(Ops tf, Operand<TFloat32> u, float low, float high) {
    return tf.math.add(tf.math.mul(u, tf.constant(high - low)), tf.constant(low));
  }

  private static Operand<TString> strings(Ops tf, List<String> values) {
    if (values.isEmpty()) {
      // The String[] overload refuses an empty array.
      return tf.constant(org.tensorflow.ndarray.NdArrays.ofObjects(String.class, Shape.of(0)));
    }
    return tf.constant(StandardCharsets.UTF_8, values.toArray(new String[0]));
  }
}
