package org.sparktf.examples.cifar10;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Writes a learnable stand-in for CIFAR-10 in its real binary format: five {@code data_batch_N.bin}
 * files and a {@code test_batch.bin}. Each class has its own colour and its own pattern (stripes,
 * checks, a disc, a gradient), both unchanged by the training-time flips and crops; per-image
 * brightness and pixel noise keep it from being trivial. The real data set cannot be downloaded
 * here, so tests and the demo run on this.
 */
public final class SyntheticCifar10 {
  private static final int TRAIN_BATCHES = 5;
  // Foreground colours, one per class, far apart in RGB.
  private static final int[][] PALETTE = {
    {230, 40, 40}, {40, 200, 40}, {50, 60, 230}, {230, 220, 40}, {220, 40, 220},
    {40, 210, 220}, {240, 140, 30}, {140, 60, 200}, {150, 150, 150}, {120, 200, 120}
  };

  private SyntheticCifar10() {}

  /**
   * Writes {@code trainImages} records spread over the five training batches and {@code testImages}
   * records into the test batch, under {@code dataDir} (any Hadoop FileSystem).
   */
  public static void generate(
      Configuration conf, String dataDir, int trainImages, int testImages, long seed) {
    if (trainImages < TRAIN_BATCHES || testImages < 1) {
      throw new IllegalArgumentException(
          "Invalid synthetic CIFAR-10 size: "
              + trainImages
              + " training and "
              + testImages
              + " test images; use at least 5 training images (one per batch file) and 1 test"
              + " image");
    }
    SplittableRandom random = new SplittableRandom(seed);
    int written = 0;
    for (int b = 1; b <= TRAIN_BATCHES; b++) {
      int count = trainImages * b / TRAIN_BATCHES - written;
      write(conf, new Path(dataDir, "data_batch_" + b + ".bin"), count, written, random);
      written += count;
    }
    write(conf, new Path(dataDir, Cifar10Binary.TEST_FILE), testImages, 0, random);
  }

  private static void write(
      Configuration conf, Path file, int count, int first, SplittableRandom random) {
    try (OutputStream out =
        new BufferedOutputStream(file.getFileSystem(conf).create(file, true), 1 << 16)) {
      for (int i = 0; i < count; i++) {
        int label = (first + i) % Cifar10Binary.CLASSES;
        Cifar10Binary.writeRecord(out, label, image(label, random));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** One image of class {@code label}, channel-major like the real records. */
  static byte[] image(int label, SplittableRandom random) {
    byte[] image = new byte[Cifar10Binary.IMAGE_BYTES];
    int[] colour = PALETTE[label];
    double brightness = random.nextDouble(-30, 30);
    int phase = random.nextInt(8);
    int plane = Cifar10Binary.HEIGHT * Cifar10Binary.WIDTH;
    for (int y = 0; y < Cifar10Binary.HEIGHT; y++) {
      for (int x = 0; x < Cifar10Binary.WIDTH; x++) {
        double weight = pattern(label % 5, y, x, phase);
        for (int c = 0; c < Cifar10Binary.CHANNELS; c++) {
          double background = colour[c] / 3.0;
          double value =
              background + (colour[c] - background) * weight + brightness + 20 * gaussian(random);
          image[c * plane + y * Cifar10Binary.WIDTH + x] =
              (byte) Math.max(0, Math.min(255, Math.round(value)));
        }
      }
    }
    return image;
  }

  /** How much of the foreground colour a pixel shows, in [0, 1]. */
  private static double pattern(int kind, int y, int x, int phase) {
    switch (kind) {
      case 0: // horizontal stripes
        return ((y + phase) / 4) % 2;
      case 1: // vertical stripes
        return ((x + phase) / 4) % 2;
      case 2: // checks
        return (((y + phase) / 4) + ((x + phase) / 4)) % 2;
      case 3: // a disc in the middle
        double dy = y - 15.5;
        double dx = x - 15.5;
        return dy * dy + dx * dx < 100 ? 1 : 0;
      default: // a top-to-bottom gradient
        return y / 31.0;
    }
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller; SplittableRandom has no nextGaussian.
    double u = random.nextDouble(1e-12, 1);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
  }
}
