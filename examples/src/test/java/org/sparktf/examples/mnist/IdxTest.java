package org.sparktf.examples.mnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class IdxTest {
  private static final Idx.Images TWO_IMAGES = images(2, 28, 28);

  private static Idx.Images images(int count, int rows, int cols) {
    byte[] pixels = new byte[count * rows * cols];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 31);
    }
    return new Idx.Images(count, rows, cols, pixels);
  }

  private static byte[] imageBytes(Idx.Images images) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Idx.writeImages(out, images);
    return out.toByteArray();
  }

  private static byte[] labelBytes(byte[] labels) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Idx.writeLabels(out, labels);
    return out.toByteArray();
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  private static InputStream in(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }

  @Test
  void imagesAndLabelsRoundTripPlainAndGzipped() throws IOException {
    byte[] plain = imageBytes(TWO_IMAGES);
    assertThat(plain).hasSize(16 + 2 * 784);
    for (byte[] file : new byte[][] {plain, gzip(plain)}) {
      Idx.Images read = Idx.readImages(in(file), "images");
      assertThat(read.count()).isEqualTo(2);
      assertThat(read.rows()).isEqualTo(28);
      assertThat(read.cols()).isEqualTo(28);
      assertThat(read.pixels()).isEqualTo(TWO_IMAGES.pixels());
      assertThat(read.pixel(1, 0)).isEqualTo((784 * 31) & 0xff);
    }
    byte[] labels = {7, 2, 1, 0, 9};
    assertThat(Idx.readLabels(in(labelBytes(labels)), "labels")).containsExactly(labels);
    assertThat(Idx.readLabels(in(gzip(labelBytes(labels))), "labels")).containsExactly(labels);
  }

  @Test
  void theHeaderIsTheStandardBigEndianOne() throws IOException {
    byte[] header = Arrays.copyOf(imageBytes(TWO_IMAGES), 16);
    assertThat(header).containsExactly(0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28);
    assertThat(Arrays.copyOf(labelBytes(new byte[3]), 8)).containsExactly(0, 0, 8, 1, 0, 0, 0, 3);
  }

  @Test
  void swappedOrForeignFilesAreRefusedByTheirMagicNumber() throws IOException {
    byte[] labels = labelBytes(new byte[] {1, 2});
    assertThatThrownBy(() -> Idx.readImages(in(gzip(labels)), "train-labels-idx1-ubyte.gz"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Invalid IDX file train-labels-idx1-ubyte.gz: magic number 0x00000801 (a labels"
                + " file); expected 0x00000803 for images (idx3-ubyte)")
        .hasMessageContaining("not swapped");
    assertThatThrownBy(() -> Idx.readLabels(in(imageBytes(TWO_IMAGES)), "x"))
        .hasMessageStartingWith(
            "Invalid IDX file x: magic number 0x00000803 (an images file); expected 0x00000801");
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0};
    assertThatThrownBy(() -> Idx.readImages(in(png), "digit.png"))
        .hasMessageStartingWith(
            "Invalid IDX file digit.png: magic number 0x89504e47 (not an unsigned-byte IDX file)");
  }

  @Test
  void truncatedFilesSayWhatIsMissing() throws IOException {
    byte[] plain = imageBytes(TWO_IMAGES);
    assertThatThrownBy(() -> Idx.readImages(in(Arrays.copyOf(plain, 10)), "short"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid IDX file short: it ends before the row count in its header; the file is"
                + " truncated or not an IDX file");
    assertThatThrownBy(() -> Idx.readImages(in(new byte[0]), "empty"))
        .hasMessageContaining("it ends before the magic number");
    assertThatThrownBy(() -> Idx.readImages(in(Arrays.copyOf(plain, 16 + 1000)), "cut"))
        .hasMessage(
            "Invalid IDX file cut: truncated; its header announces 2 images of 28x28 (1568 bytes)"
                + " but only 1000 follow. Download the file again");
    byte[] gz = gzip(plain);
    assertThatThrownBy(() -> Idx.readImages(in(Arrays.copyOf(gz, gz.length - 12)), "cut.gz"))
        .hasMessageStartingWith("Invalid IDX file cut.gz: truncated; its header announces 2 images")
        .hasMessageEndingWith("Download the file again");
    byte[] labels = labelBytes(new byte[] {1, 2, 3});
    assertThatThrownBy(() -> Idx.readLabels(in(Arrays.copyOf(labels, 9)), "l"))
        .hasMessageContaining("announces 3 labels (3 bytes) but only 1 follow");
  }

  @Test
  void theShippedSampleHoldsRealDigitsOfEveryClass() throws IOException {
    String dir = "org/sparktf/examples/mnist/sample/";
    for (String split : new String[] {"train", "t10k"}) {
      Idx.Images images;
      byte[] labels;
      try (InputStream in = resource(dir + split + "-images-idx3-ubyte.gz")) {
        images = Idx.readImages(in, split);
      }
      try (InputStream in = resource(dir + split + "-labels-idx1-ubyte.gz")) {
        labels = Idx.readLabels(in, split);
      }
      int expected = split.equals("train") ? NpmSampleToIdx.TRAIN : 10_000 - NpmSampleToIdx.TRAIN;
      assertThat(images.count()).isEqualTo(expected);
      assertThat(labels).hasSize(expected);
      assertThat(images.rows()).isEqualTo(28);
      int[] perClass = new int[10];
      for (byte label : labels) {
        perClass[label]++;
      }
      // Every class appears at a realistic frequency (5% to 15%), so the split was shuffled.
      assertThat(java.util.Arrays.stream(perClass).boxed())
          .allSatisfy(n -> assertThat(n).isBetween(expected / 20, expected / 7));
      // Real scans: mostly background, with full-intensity strokes.
      long blank = 0;
      int max = 0;
      for (int p = 0; p < 784; p++) {
        blank += images.pixel(0, p) == 0 ? 1 : 0;
        max = Math.max(max, images.pixel(0, p));
      }
      assertThat(blank).isBetween(400L, 760L);
      assertThat(max).isGreaterThan(200);
    }
  }

  @Test
  void npmPixelsConvertBackToBytes() {
    StringBuilder json = new StringBuilder("{ \"data\": [0,0.502,1");
    for (int i = 3; i < 784; i++) {
      json.append(",0.992");
    }
    byte[] pixels = NpmSampleToIdx.parsePixels(json.append("]}").toString(), 3);
    assertThat(pixels).hasSize(784);
    assertThat(pixels[0] & 0xff).isEqualTo(0);
    assertThat(pixels[1] & 0xff).isEqualTo(128);
    assertThat(pixels[2] & 0xff).isEqualTo(255);
    assertThat(pixels[3] & 0xff).isEqualTo(253);
    assertThatThrownBy(() -> NpmSampleToIdx.parsePixels("{\"data\": [0, 1]}", 4))
        .hasMessage("Invalid digit file 4.json: 2 values, not a multiple of 784");
  }

  private static InputStream resource(String name) {
    InputStream in = IdxTest.class.getClassLoader().getResourceAsStream(name);
    assertThat(in).as(name).isNotNull();
    return in;
  }
}
