package org.sparktf.examples.imagenet;

import java.io.Serializable;
import java.util.List;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * Inception v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision") built
 * with {@link Layers}: the stem, three Inception-A blocks (35x35 at 299x299 input), a grid
 * reduction, four Inception-B blocks with factorized 1x7 / 7x1 convolutions (17x17), a second
 * reduction, two Inception-C blocks with split 1x3 / 3x1 convolutions (8x8), global average
 * pooling, dropout and the logits; every convolution is followed by batch normalization and ReLU.
 * The auxiliary classifier on the 17x17 grid is optional.
 *
 * <p>{@code widthMultiplier} scales every convolution's depth (at least 8 channels), to train a
 * thinner network quickly; 1.0 is the published model. Input: NHWC float images in [-1, 1], at
 * least 75x75.
 */
public final class InceptionV3 implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int MIN_DEPTH = 8;

  private final int numClasses;
  private final float widthMultiplier;
  private final boolean auxHead;
  private final float dropoutKeep;
  private final float batchNormDecay;

  /**
   * @param numClasses logits per image (1001 for ImageNet TFRecords: label 0 is background)
   * @param widthMultiplier scales the depth of every convolution; 1.0 is the published model
   * @param auxHead whether to add the auxiliary classifier (weighted 0.4 in the loss)
   * @param dropoutKeep the probability of keeping an activation before the logits when training
   * @param batchNormDecay how slowly the batch-norm moving averages follow the batches (0.9997 in
   *     the published training; smaller for short runs)
   */
  public InceptionV3(
      int numClasses,
      float widthMultiplier,
      boolean auxHead,
      float dropoutKeep,
      float batchNormDecay) {
    if (numClasses < 2) {
      throw new IllegalArgumentException(
          "Invalid number of classes: " + numClasses + "; it must be >= 2");
    }
    if (!(batchNormDecay > 0f && batchNormDecay < 1f)) {
      throw new IllegalArgumentException(
          "Invalid batch-norm decay: " + batchNormDecay + "; it must be in (0, 1), e.g. 0.9997");
    }
    if (!(widthMultiplier > 0f)) {
      throw new IllegalArgumentException(
          "Invalid width multiplier: " + widthMultiplier + "; it must be > 0 (1.0: full model)");
    }
    this.numClasses = numClasses;
    this.widthMultiplier = widthMultiplier;
    this.auxHead = auxHead;
    this.dropoutKeep = dropoutKeep;
    this.batchNormDecay = batchNormDecay;
  }

  /**
   * The published network: 1001 classes, full width, auxiliary head, dropout keep 0.8, batch-norm
   * decay 0.9997.
   */
  public static InceptionV3 imagenet() {
    return new InceptionV3(1001, 1f, true, 0.8f, 0.9997f);
  }

  public int numClasses() {
    return numClasses;
  }

  public boolean auxHead() {
    return auxHead;
  }

  /** The logits of the main classifier and, when enabled, of the auxiliary one (else null). */
  public record Logits(Operand<TFloat32> main, Operand<TFloat32> aux) {}

  /** Builds the network on {@code images} ([batch, height, width, 3], values in [-1, 1]). */
  public Logits build(ModelBuilder model, Operand<TFloat32> images) {
    Builder b = new Builder(model);
    // Stem: 299 -> 149 -> 147 -> 147 -> 73 -> 73 -> 71 -> 35.
    Operand<TFloat32> x = b.conv("Conv2d_1a_3x3", images, 3, 3, 32, 2, "VALID");
    x = b.conv("Conv2d_2a_3x3", x, 3, 3, 32, 1, "VALID");
    x = b.conv("Conv2d_2b_3x3", x, 3, 3, 64, 1, "SAME");
    x = Layers.maxPool(model, x, 3, 2, "VALID");
    x = b.conv("Conv2d_3b_1x1", x, 1, 1, 80, 1, "VALID");
    x = b.conv("Conv2d_4a_3x3", x, 3, 3, 192, 1, "VALID");
    x = Layers.maxPool(model, x, 3, 2, "VALID");
    x = b.inceptionA("Mixed_5b", x, 32);
    x = b.inceptionA("Mixed_5c", x, 64);
    x = b.inceptionA("Mixed_5d", x, 64);
    x = b.reductionA("Mixed_6a", x);
    x = b.inceptionB("Mixed_6b", x, 128);
    x = b.inceptionB("Mixed_6c", x, 160);
    x = b.inceptionB("Mixed_6d", x, 160);
    x = b.inceptionB("Mixed_6e", x, 192);
    Operand<TFloat32> aux = auxHead ? b.auxLogits("AuxLogits", x) : null;
    x = b.reductionB("Mixed_7a", x);
    x = b.inceptionC("Mixed_7b", x);
    x = b.inceptionC("Mixed_7c", x);
    Operand<TFloat32> pooled = Layers.globalAvgPool(model, x);
    pooled = Layers.dropout(model, pooled, dropoutKeep);
    Operand<TFloat32> logits =
        Layers.dense(model, "Logits", pooled, channels(x), numClasses, false);
    return new Logits(logits, aux);
  }

  private int depth(int channels) {
    return Math.max(MIN_DEPTH, (int) (channels * widthMultiplier));
  }

  private static int channels(Operand<TFloat32> x) {
    return (int) x.shape().get(x.shape().numDimensions() - 1);
  }

  /** Builds the blocks, reading each input's depth from its static shape. */
  private final class Builder {
    private final ModelBuilder model;

    Builder(ModelBuilder model) {
      this.model = model;
    }

    Operand<TFloat32> conv(
        String name, Operand<TFloat32> x, int kh, int kw, int out, int stride, String padding) {
      return Layers.conv2dBatchNormRelu(
          model, name, x, kh, kw, channels(x), depth(out), stride, padding, batchNormDecay);
    }

    Operand<TFloat32> avgPoolThenConv(String name, Operand<TFloat32> x, int out) {
      return conv(name, Layers.avgPool(model, x, 3, 1, "SAME"), 1, 1, out, 1, "SAME");
    }

    /** 35x35: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1. */
    Operand<TFloat32> inceptionA(String name, Operand<TFloat32> x, int poolDepth) {
      var b0 = conv(name + ".Branch_0.Conv2d_0a_1x1", x, 1, 1, 64, 1, "SAME");
      var b1 = conv(name + ".Branch_1.Conv2d_0a_1x1", x, 1, 1, 48, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_0b_5x5", b1, 5, 5, 64, 1, "SAME");
      var b2 = conv(name + ".Branch_2.Conv2d_0a_1x1", x, 1, 1, 64, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0b_3x3", b2, 3, 3, 96, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0c_3x3", b2, 3, 3, 96, 1, "SAME");
      var b3 = avgPoolThenConv(name + ".Branch_3.Conv2d_0b_1x1", x, poolDepth);
      return Layers.concatChannels(model, List.of(b0, b1, b2, b3));
    }

    /** 35x35 -> 17x17: 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2. */
    Operand<TFloat32> reductionA(String name, Operand<TFloat32> x) {
      var b0 = conv(name + ".Branch_0.Conv2d_1a_3x3", x, 3, 3, 384, 2, "VALID");
      var b1 = conv(name + ".Branch_1.Conv2d_0a_1x1", x, 1, 1, 64, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_0b_3x3", b1, 3, 3, 96, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_1a_3x3", b1, 3, 3, 96, 2, "VALID");
      var b2 = Layers.maxPool(model, x, 3, 2, "VALID");
      return Layers.concatChannels(model, List.of(b0, b1, b2));
    }

    /** 17x17 with factorized 7x7 convolutions: 1x1 | 1x1-1x7-7x1 | 1x1-7x1-1x7-7x1-1x7 | pool. */
    Operand<TFloat32> inceptionB(String name, Operand<TFloat32> x, int mid) {
      var b0 = conv(name + ".Branch_0.Conv2d_0a_1x1", x, 1, 1, 192, 1, "SAME");
      var b1 = conv(name + ".Branch_1.Conv2d_0a_1x1", x, 1, 1, mid, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_0b_1x7", b1, 1, 7, mid, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_0c_7x1", b1, 7, 1, 192, 1, "SAME");
      var b2 = conv(name + ".Branch_2.Conv2d_0a_1x1", x, 1, 1, mid, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0b_7x1", b2, 7, 1, mid, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0c_1x7", b2, 1, 7, mid, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0d_7x1", b2, 7, 1, mid, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0e_1x7", b2, 1, 7, 192, 1, "SAME");
      var b3 = avgPoolThenConv(name + ".Branch_3.Conv2d_0b_1x1", x, 192);
      return Layers.concatChannels(model, List.of(b0, b1, b2, b3));
    }

    /** 17x17 -> 8x8: 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool/2. */
    Operand<TFloat32> reductionB(String name, Operand<TFloat32> x) {
      var b0 = conv(name + ".Branch_0.Conv2d_0a_1x1", x, 1, 1, 192, 1, "SAME");
      b0 = conv(name + ".Branch_0.Conv2d_1a_3x3", b0, 3, 3, 320, 2, "VALID");
      var b1 = conv(name + ".Branch_1.Conv2d_0a_1x1", x, 1, 1, 192, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_0b_1x7", b1, 1, 7, 192, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_0c_7x1", b1, 7, 1, 192, 1, "SAME");
      b1 = conv(name + ".Branch_1.Conv2d_1a_3x3", b1, 3, 3, 192, 2, "VALID");
      var b2 = Layers.maxPool(model, x, 3, 2, "VALID");
      return Layers.concatChannels(model, List.of(b0, b1, b2));
    }

    /** 8x8 with the 3x3 split into parallel 1x3 and 3x1: 1x1 | 1x1-split | 1x1-3x3-split | pool. */
    Operand<TFloat32> inceptionC(String name, Operand<TFloat32> x) {
      var b0 = conv(name + ".Branch_0.Conv2d_0a_1x1", x, 1, 1, 320, 1, "SAME");
      var b1 = conv(name + ".Branch_1.Conv2d_0a_1x1", x, 1, 1, 384, 1, "SAME");
      b1 =
          Layers.concatChannels(
              model,
              List.of(
                  conv(name + ".Branch_1.Conv2d_0b_1x3", b1, 1, 3, 384, 1, "SAME"),
                  conv(name + ".Branch_1.Conv2d_0c_3x1", b1, 3, 1, 384, 1, "SAME")));
      var b2 = conv(name + ".Branch_2.Conv2d_0a_1x1", x, 1, 1, 448, 1, "SAME");
      b2 = conv(name + ".Branch_2.Conv2d_0b_3x3", b2, 3, 3, 384, 1, "SAME");
      b2 =
          Layers.concatChannels(
              model,
              List.of(
                  conv(name + ".Branch_2.Conv2d_0c_1x3", b2, 1, 3, 384, 1, "SAME"),
                  conv(name + ".Branch_2.Conv2d_0d_3x1", b2, 3, 1, 384, 1, "SAME")));
      var b3 = avgPoolThenConv(name + ".Branch_3.Conv2d_0b_1x1", x, 192);
      return Layers.concatChannels(model, List.of(b0, b1, b2, b3));
    }

    /**
     * The auxiliary classifier on the 17x17 grid: 5x5/3 average pooling, 1x1 conv, a conv over the
     * whole remaining grid (5x5 at 299x299 input), and logits. Smaller inputs shrink the pooling
     * window and the last kernel to the grid they get.
     */
    Operand<TFloat32> auxLogits(String name, Operand<TFloat32> x) {
      int grid = (int) x.shape().get(1);
      int window = Math.min(5, grid);
      var pooled = Layers.avgPool(model, x, window, 3, "VALID");
      var y = conv(name + ".Conv2d_1b_1x1", pooled, 1, 1, 128, 1, "SAME");
      int kernel = (int) y.shape().get(1);
      y = conv(name + ".Conv2d_2a_" + kernel + "x" + kernel, y, kernel, kernel, 768, 1, "VALID");
      var flat = model.tf().reshape(y, model.tf().constant(new int[] {-1, channels(y)}));
      return Layers.dense(model, name + ".Logits", flat, channels(y), numClasses, false);
    }
  }
}
