package org.sparktf.examples.cifar10;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.DeviceSpec;
import org.tensorflow.DeviceSpec.DeviceType;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

class Cifar10NetworkTest {
  private static final DeviceSpec CPU =
      Cifar10Trainer.onDevice(DeviceSpec.newBuilder().build(), DeviceType.CPU, 0);

  @Test
  void theServingGraphHasTheReferenceModelsParameterCount() {
    try (Graph graph = new Graph()) {
      new ServingGraph(Ops.create(graph));
      long parameters = 0;
      List<String> names = new ArrayList<>();
      for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("VariableV2")) {
          names.add(op.name());
          parameters += op.output(0).shape().size();
        }
      }
      assertThat(parameters).isEqualTo(1_068_298L);
      assertThat(names)
          .containsExactlyInAnyOrder(
              "conv1/weights",
              "conv1/biases",
              "conv2/weights",
              "conv2/biases",
              "local3/weights",
              "local3/biases",
              "local4/weights",
              "local4/biases",
              "softmax_linear/weights",
              "softmax_linear/biases");
    }
  }

  @Test
  void decodingTurnsChannelMajorRecordsIntoNhwcPixels() {
    byte[] record = new byte[Cifar10Binary.IMAGE_BYTES];
    // Red plane first, then green, then blue; pixel (y=2, x=5) of the green plane.
    record[1024 + 2 * 32 + 5] = (byte) 200;
    record[2048 + 31 * 32 + 31] = (byte) 7;
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TString batch = records(record)) {
      Ops tf = Ops.create(graph);
      var input = tf.placeholder(TString.class);
      var pixels = Cifar10Images.decode(tf, input);
      try (TFloat32 out =
          (TFloat32) session.runner().feed(input, batch).fetch(pixels).run().get(0)) {
        assertThat(out.shape().asArray()).containsExactly(1, 32, 32, 3);
        assertThat(out.getFloat(0, 2, 5, 1)).isEqualTo(200f);
        assertThat(out.getFloat(0, 31, 31, 2)).isEqualTo(7f);
        assertThat(out.getFloat(0, 2, 5, 0)).isEqualTo(0f);
      }
    }
  }

  @Test
  void trainingDistortionsGiveStandardizedRandomCropsOfTheImage() {
    SplittableRandom random = new SplittableRandom(3);
    byte[][] images = new byte[4][];
    for (int i = 0; i < images.length; i++) {
      images[i] = SyntheticCifar10.image(i, random);
    }
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TString batch = records(images)) {
      Ops tf = Ops.create(graph);
      var input = tf.placeholder(TString.class);
      var distorted = Cifar10Images.distort(tf, Cifar10Images.decode(tf, input), 7);
      try (Result first = session.runner().feed(input, batch).fetch(distorted).run();
          Result second = session.runner().feed(input, batch).fetch(distorted).run()) {
        TFloat32 a = (TFloat32) first.get(0);
        TFloat32 b = (TFloat32) second.get(0);
        assertThat(a.shape().asArray()).containsExactly(4, 24, 24, 3);
        double sum = 0;
        double squares = 0;
        boolean differs = false;
        for (int y = 0; y < 24; y++) {
          for (int x = 0; x < 24; x++) {
            for (int c = 0; c < 3; c++) {
              float v = a.getFloat(1, y, x, c);
              sum += v;
              squares += v * v;
              differs |= v != b.getFloat(1, y, x, c);
            }
          }
        }
        int n = 24 * 24 * 3;
        assertThat(sum / n).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(squares / n).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(differs).as("two runs draw different distortions").isTrue();
      }
    }
  }

  @Test
  void randomCropsArePixelExactWindowsSomeMirrored() {
    int n = 16;
    // Every pixel holds its own position, y * 32 + x, so the crop's origin and direction show.
    float[] pixels = new float[n * 32 * 32 * 3];
    for (int i = 0; i < pixels.length; i++) {
      int pixel = (i / 3) % (32 * 32);
      pixels[i] = pixel;
    }
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TFloat32 batch =
            TFloat32.tensorOf(
                org.tensorflow.ndarray.Shape.of(n, 32, 32, 3),
                org.tensorflow.ndarray.buffer.DataBuffers.of(pixels))) {
      Ops tf = Ops.create(graph);
      var images = tf.placeholder(TFloat32.class);
      var count = tf.constant(new int[] {n});
      var crops = Cifar10Images.randomCropAndFlip(tf, images, count, 5);
      try (TFloat32 out =
          (TFloat32) session.runner().feed(images, batch).fetch(crops).run().get(0)) {
        assertThat(out.shape().asArray()).containsExactly(n, 24, 24, 3);
        int mirrored = 0;
        for (int i = 0; i < n; i++) {
          int origin = (int) out.getFloat(i, 0, 0, 0);
          int step = (int) out.getFloat(i, 0, 1, 0) - origin;
          assertThat(step).isIn(1, -1);
          int top = origin / 32;
          int left = step == 1 ? origin % 32 : origin % 32 - 23;
          assertThat(top).isBetween(0, 8);
          assertThat(left).isBetween(0, 8);
          mirrored += step == -1 ? 1 : 0;
          for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 24; x++) {
              int sourceX = step == 1 ? left + x : left + 23 - x;
              assertThat(out.getFloat(i, y, x, 2)).isEqualTo((top + y) * 32f + sourceX);
            }
          }
        }
        assertThat(mirrored).as("mirrored crops out of %d", n).isBetween(1, n - 1);
      }
    }
  }

  @Test
  void twoTowersAverageToTheGradientOfTheWholeBatch() {
    byte[][] images = new byte[8][];
    long[] labels = new long[8];
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < images.length; i++) {
      labels[i] = i % 10;
      images[i] = SyntheticCifar10.image(i % 10, random);
    }
    List<float[]> oneTower = gradients(List.of(CPU), images, labels);
    List<float[]> twoTowers = gradients(List.of(CPU, CPU), images, labels);
    assertThat(twoTowers).hasSameSizeAs(oneTower);
    for (int v = 0; v < oneTower.size(); v++) {
      float[] expected = oneTower.get(v);
      float[] actual = twoTowers.get(v);
      double scale = 1e-6;
      for (float e : expected) {
        scale = Math.max(scale, Math.abs(e));
      }
      for (int i = 0; i < expected.length; i++) {
        assertThat((double) actual[i])
            .as("gradient %d element %d", v, i)
            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-3 * scale));
      }
    }
  }

  @Test
  void twoTowersOnTheCpuLearnAndTheirCheckpointRestoresIntoTheServingGraph(@TempDir Path dir) {
    byte[][] images = new byte[40][];
    long[] labels = new long[40];
    SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < images.length; i++) {
      labels[i] = i % 10;
      images[i] = SyntheticCifar10.image(i % 10, random);
    }
    String checkpoint = dir.resolve("ckpt").toString();
    try (TowerGraph towers = TowerGraph.build(CPU, n -> CPU, List.of(CPU, CPU), true, 11);
        Session session = new Session(towers.graph());
        TString batch = records(images);
        TInt64 batchLabels = TInt64.vectorOf(labels)) {
      // minimize() asks the optimizer for the loss's gradients: the tower averages.
      Op update = towers.optimizer(0.1f).minimize(towers.loss());
      session.initialize();
      for (int step = 0; step < 40; step++) {
        session
            .runner()
            .feed(towers.images(), batch)
            .feed(towers.labels(), batchLabels)
            .addTarget(update)
            .run()
            .close();
      }
      session.save(checkpoint);
    }
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TString batch = records(images)) {
      ServingGraph serving = new ServingGraph(Ops.create(graph));
      session.restore(checkpoint);
      try (TInt64 predicted =
          (TInt64)
              session.runner().feed(serving.input(), batch).fetch(serving.classes()).run().get(0)) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
          correct += predicted.getLong(i) == labels[i] ? 1 : 0;
        }
        assertThat(correct / (double) labels.length).isGreaterThan(0.5);
      }
    }
  }

  @Test
  void theTowerOptimizerRefusesOtherLosses() {
    try (TowerGraph towers = TowerGraph.build(CPU, n -> CPU, List.of(CPU), true, 1)) {
      Ops tf = Ops.create(towers.graph());
      assertThatThrownBy(() -> towers.optimizer(0.1f).computeGradients(tf.constant(1f)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Invalid loss for the tower optimizer: ");
    }
  }

  @Test
  void towersGoOnePerGpuOrOnTheCpu() {
    DeviceSpec node = DeviceSpec.newBuilder().job("worker").task(1).build();
    assertThat(Cifar10Trainer.towerDevices(node, 2, 0))
        .extracting(DeviceSpec::toString)
        .containsExactly("/job:worker/task:1/device:GPU:0", "/job:worker/task:1/device:GPU:1");
    assertThat(Cifar10Trainer.towerDevices(node, 0, 2))
        .extracting(DeviceSpec::toString)
        .containsExactly("/job:worker/task:1/device:CPU:0", "/job:worker/task:1/device:CPU:0");
    assertThat(Cifar10Trainer.towerDevices(node, 0, 0)).hasSize(1);
    assertThatThrownBy(() -> Cifar10Trainer.towerDevices(node, 2, 3))
        .hasMessage(
            "Invalid tower count: 3; this node sees 2 GPU(s): use at most 2, or 0 for one tower"
                + " per GPU");
  }

  /** The averaged gradients of a fresh tower graph for one batch, without distortions. */
  private static List<float[]> gradients(List<DeviceSpec> devices, byte[][] images, long[] labels) {
    try (TowerGraph towers = TowerGraph.build(CPU, n -> CPU, devices, false, 21);
        Session session = new Session(towers.graph());
        TString batch = records(images);
        TInt64 batchLabels = TInt64.vectorOf(labels)) {
      session.initialize();
      Session.Runner runner =
          session.runner().feed(towers.images(), batch).feed(towers.labels(), batchLabels);
      for (GradAndVar<?> gv : towers.gradients()) {
        runner.fetch(gv.getGradient());
      }
      List<float[]> out = new ArrayList<>();
      try (Result result = runner.run()) {
        for (int i = 0; i < result.size(); i++) {
          TFloat32 t = (TFloat32) result.get(i);
          float[] values = new float[(int) t.size()];
          t.asRawTensor().data().asFloats().read(values);
          out.add(values);
        }
      }
      return out;
    }
  }

  static TString records(byte[]... images) {
    return TString.tensorOfBytes(NdArrays.vectorOfObjects(images));
  }
}
