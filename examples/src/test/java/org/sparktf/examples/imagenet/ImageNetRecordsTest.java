package org.sparktf.examples.imagenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

class ImageNetRecordsTest {
  private static byte[] example(byte[] jpeg, long label) {
    Features.Builder features = Features.newBuilder();
    if (jpeg != null) {
      features.putFeature(
          ImageNetRecords.IMAGE,
          Feature.newBuilder()
              .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFrom(jpeg)))
              .build());
    }
    features.putFeature(
        ImageNetRecords.LABEL,
        Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(label)).build());
    return Example.newBuilder().setFeatures(features).build().toByteArray();
  }

  private static byte[] plainJpeg(Color color, int width, int height) throws Exception {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, color.getRGB());
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", out);
    return out.toByteArray();
  }

  /** Runs parse() on the records twice; returns both runs' images and the labels. */
  private static Object[] parse(byte[][] records, boolean train) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var input = tf.placeholder(TString.class, Placeholder.shape(Shape.of(records.length)));
      var batch = ImageNetRecords.parse(tf, input, records.length, 80, train, 5);
      try (Session session = new Session(graph);
          TString serialized = TString.tensorOfBytes(NdArrays.vectorOfObjects(records));
          Result first =
              session
                  .runner()
                  .feed(input, serialized)
                  .fetch(batch.images())
                  .fetch(batch.labels())
                  .run();
          Result second = session.runner().feed(input, serialized).fetch(batch.images()).run()) {
        TFloat32 a = (TFloat32) first.get(0);
        TFloat32 b = (TFloat32) second.get(0);
        float[] x = new float[(int) a.size()];
        float[] y = new float[(int) b.size()];
        a.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(x, false, false));
        b.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(y, false, false));
        TInt64 labels = (TInt64) first.get(1);
        long[] l = new long[records.length];
        for (int i = 0; i < l.length; i++) {
          l[i] = labels.getLong(i);
        }
        return new Object[] {a.shape(), x, y, l};
      }
    }
  }

  @Test
  void evaluationDecodesAndCentreCropsJpegsOfAnySizeToPixelsInMinusOneToOne() throws Exception {
    byte[][] records = {
      example(plainJpeg(Color.RED, 120, 90), 7), example(plainJpeg(Color.BLUE, 81, 133), 2)
    };
    Object[] out = parse(records, false);
    assertThat(out[0]).isEqualTo(Shape.of(2, 80, 80, 3));
    float[] pixels = (float[]) out[1];
    // Image 0 is red: (1, -1, -1) up to JPEG's rounding; image 1 blue.
    Offset<Float> jpeg = Offset.offset(0.05f);
    assertThat(pixels[0]).isCloseTo(1f, jpeg);
    assertThat(pixels[1]).isCloseTo(-1f, jpeg);
    assertThat(pixels[80 * 80 * 3 + 2]).isCloseTo(1f, jpeg);
    assertThat(pixels[80 * 80 * 3]).isCloseTo(-1f, jpeg);
    assertThat((float[]) out[2]).containsExactly(pixels);
    assertThat((long[]) out[3]).containsExactly(7, 2);
  }

  @Test
  void trainingAugmentsEachStepDifferentlyWithinTheValueRange() {
    Random random = new Random(3);
    byte[][] records = new byte[4][];
    for (int i = 0; i < records.length; i++) {
      records[i] = example(SyntheticImageNet.jpeg(i + 1, 90 + 10 * i, 100, random), i + 1);
    }
    Object[] out = parse(records, true);
    assertThat(out[0]).isEqualTo(Shape.of(4, 80, 80, 3));
    float[] first = (float[]) out[1];
    float[] second = (float[]) out[2];
    for (float v : first) {
      assertThat(v).isBetween(-1f, 1f);
    }
    assertThat(second).isNotEqualTo(first);
    assertThat((long[]) out[3]).containsExactly(1, 2, 3, 4);
  }

  @Test
  void aRecordWithoutAnImageIsAnErrorNamingTheFeature() {
    byte[][] records = {example(null, 1)};
    assertThatThrownBy(() -> parse(records, false)).hasMessageContaining("image/encoded");
  }
}
