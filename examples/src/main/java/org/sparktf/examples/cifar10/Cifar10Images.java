package org.sparktf.examples.cifar10;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.image.CropAndResize;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.op.random.RandomUniformInt;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * The input pipeline as TensorFlow ops: raw CIFAR-10 records to 24x24 model inputs. Training
 * distorts each image like TensorFlow's classic cifar10 model (random 24x24 crop, random left-right
 * flip, random brightness and contrast); evaluation and serving take the central crop. Both end
 * with per-image standardization.
 */
final class Cifar10Images {
  static final int CROP = 24;
  private static final int MAX_OFFSET = Cifar10Binary.HEIGHT - CROP;

  private Cifar10Images() {}

  /** The 3,072-byte records of a batch as [n, 32, 32, 3] float pixels in 0..255. */
  static Operand<TFloat32> decode(Ops tf, Operand<TString> records) {
    Operand<TUint8> bytes = tf.io.decodeRaw(records, TUint8.class);
    // Records are channel-major (all red, all green, all blue); the model wants NHWC.
    Operand<TUint8> planes =
        tf.reshape(
            bytes,
            tf.constant(
                new int[] {-1, Cifar10Binary.CHANNELS, Cifar10Binary.HEIGHT, Cifar10Binary.WIDTH}));
    Operand<TUint8> nhwc = tf.linalg.transpose(planes, tf.constant(new int[] {0, 2, 3, 1}));
    return tf.dtypes.cast(nhwc, TFloat32.class);
  }

  /** Training inputs: randomly cropped, flipped, brightened, contrasted, then standardized. */
  static Operand<TFloat32> distort(Ops tf, Operand<TFloat32> images, long seed) {
    Operand<TInt32> count =
        tf.slice(tf.shape(images), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    Operand<TFloat32> cropped = randomCropAndFlip(tf, images, count, seed);
    Operand<TInt32> perImage =
        tf.concat(List.of(count, tf.constant(new int[] {1, 1, 1})), tf.constant(0));
    Operand<TFloat32> delta =
        tf.math.sub(
            tf.math.mul(uniform(tf, perImage, seed + 3), tf.constant(126f)), tf.constant(63f));
    Operand<TFloat32> brighter = tf.math.add(cropped, delta);
    Operand<TFloat32> factor =
        tf.math.add(
            tf.math.mul(uniform(tf, perImage, seed + 4), tf.constant(1.6f)), tf.constant(0.2f));
    Operand<TFloat32> channelMean =
        tf.math.mean(brighter, tf.constant(new int[] {1, 2}), Mean.keepDims(true));
    Operand<TFloat32> contrasted =
        tf.math.add(tf.math.mul(tf.math.sub(brighter, channelMean), factor), channelMean);
    return standardize(tf, contrasted);
  }

  /**
   * A random 24x24 window of each of the {@code count} images, mirrored left-right half of the
   * time. One CropAndResize does both: its boxes are in normalized coordinates, a pixel-aligned box
   * of exactly 24x24 pixels with nearest sampling is a plain crop, and a box whose left edge lies
   * right of its right edge comes out mirrored.
   */
  static Operand<TFloat32> randomCropAndFlip(
      Ops tf, Operand<TFloat32> images, Operand<TInt32> count, long seed) {
    float scale = 1f / (Cifar10Binary.HEIGHT - 1);
    Operand<TFloat32> top = offsets(tf, count, seed, scale);
    Operand<TFloat32> left = offsets(tf, count, seed + 1, scale);
    Operand<TFloat32> span = tf.constant((CROP - 1) * scale);
    Operand<TFloat32> flip =
        tf.dtypes.cast(
            tf.math.less(uniform(tf, count, seed + 2), tf.constant(0.5f)), TFloat32.class);
    Operand<TFloat32> x1 = tf.math.add(left, tf.math.mul(flip, span));
    Operand<TFloat32> x2 = tf.math.sub(tf.math.add(left, span), tf.math.mul(flip, span));
    Operand<TFloat32> boxes =
        tf.stack(List.of(top, x1, tf.math.add(top, span), x2), Stack.axis(1L));
    Operand<TInt32> boxIndex =
        tf.range(tf.constant(0), tf.reshape(count, tf.constant(new int[0])), tf.constant(1));
    return tf.image.cropAndResize(
        images,
        boxes,
        boxIndex,
        tf.constant(new int[] {CROP, CROP}),
        CropAndResize.method("nearest"));
  }

  /** Evaluation and serving inputs: the central 24x24 crop, standardized. */
  static Operand<TFloat32> centralCrop(Ops tf, Operand<TFloat32> images) {
    int offset = MAX_OFFSET / 2;
    Operand<TFloat32> cropped =
        tf.slice(
            images,
            tf.constant(new int[] {0, offset, offset, 0}),
            tf.constant(new int[] {-1, CROP, CROP, Cifar10Binary.CHANNELS}));
    return standardize(tf, cropped);
  }

  /**
   * Per-image standardization: zero mean and unit variance over all of an image's values, with the
   * standard deviation floored at 1/sqrt(values) so flat images do not blow up.
   */
  static Operand<TFloat32> standardize(Ops tf, Operand<TFloat32> images) {
    var axes = tf.constant(new int[] {1, 2, 3});
    var keep = Mean.keepDims(true);
    Operand<TFloat32> mean = tf.math.mean(images, axes, keep);
    Operand<TFloat32> centred = tf.math.sub(images, mean);
    Operand<TFloat32> variance = tf.math.mean(tf.math.square(centred), axes, keep);
    Operand<TFloat32> floor =
        tf.constant((float) (1 / Math.sqrt(CROP * CROP * Cifar10Binary.CHANNELS)));
    return tf.math.div(centred, tf.math.maximum(tf.math.sqrt(variance), floor));
  }

  /** A random pixel offset in 0..8 per image, times {@code scale}. */
  private static Operand<TFloat32> offsets(Ops tf, Operand<TInt32> count, long seed, float scale) {
    Operand<TInt32> pixels =
        tf.random.randomUniformInt(
            count, tf.constant(0), tf.constant(MAX_OFFSET + 1), RandomUniformInt.seed(seed));
    return tf.math.mul(tf.dtypes.cast(pixels, TFloat32.class), tf.constant(scale));
  }

  private static Operand<TFloat32> uniform(Ops tf, Operand<TInt32> shape, long seed) {
    return tf.random.randomUniform(shape, TFloat32.class, RandomUniform.seed(seed));
  }
}
