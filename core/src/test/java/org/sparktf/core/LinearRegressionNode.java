package org.sparktf.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Fits y = 3x + 2 by asynchronous SGD with the variables on the parameter servers; each worker
 * generates its own samples (TENSORFLOW mode). The chief writes the final w and b to the model
 * directory.
 */
final class LinearRegressionNode {
  static final float TRUE_W = 3f;
  static final float TRUE_B = 2f;

  private LinearRegressionNode() {}

  static void run(NodeContext ctx) throws Exception {
    if (ctx.jobName().equals("ps")) {
      return;
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> w;
      Variable<TFloat32> b;
      w = tf.withDevice(ctx.variableDevice(0)).withName("w").variable(tf.constant(0f));
      b = tf.withDevice(ctx.variableDevice(1)).withName("b").variable(tf.constant(0f));
      Ops local = tf.withDevice(ctx.localDevice());
      Placeholder<TFloat32> x = local.withName("x").placeholder(TFloat32.class);
      Placeholder<TFloat32> y = local.withName("y").placeholder(TFloat32.class);
      Operand<TFloat32> prediction = local.math.add(local.math.mul(x, w), b);
      Operand<TFloat32> loss =
          local.math.mean(local.math.square(local.math.sub(prediction, y)), local.constant(0));
      Op train = new GradientDescent(graph, 0.1f).minimize(loss);
      try (Session session = ctx.session(graph)) {
        if (ctx.isChief()) {
          session.initialize();
        } else {
          ctx.awaitVariables(session, java.time.Duration.ofSeconds(60));
        }
        Random random = new Random(17 + ctx.taskIndex());
        for (int step = 0; step < 300; step++) {
          float[] xs = new float[32];
          float[] ys = new float[32];
          for (int i = 0; i < xs.length; i++) {
            xs[i] = random.nextFloat() * 2 - 1;
            ys[i] = TRUE_W * xs[i] + TRUE_B + (float) random.nextGaussian() * 0.01f;
          }
          try (TFloat32 xt = TFloat32.vectorOf(xs);
              TFloat32 yt = TFloat32.vectorOf(ys)) {
            session.runner().feed(x, xt).feed(y, yt).addTarget(train).run();
          }
        }
        if (ctx.isChief()) {
          try (var result = session.runner().fetch(w).fetch(b).run()) {
            float wv = ((TFloat32) result.get(0)).getFloat();
            float bv = ((TFloat32) result.get(1)).getFloat();
            write(ctx, "result.txt", wv + " " + bv);
          }
        }
      }
    }
  }

  static void write(NodeContext ctx, String name, String text) throws IOException {
    Path path = new Path(ctx.modelDir(), name);
    FileSystem fs = path.getFileSystem(ctx.hadoopConf());
    try (OutputStream out = fs.create(path, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  static Shape scalar() {
    return Shape.scalar();
  }
}
