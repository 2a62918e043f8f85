package org.sparktf.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.tensorflow.Graph;
import org.tensorflow.types.TFloat32;

/**
 * Fits y = 3x + 2 by asynchronous SGD with the variables on the parameter servers; each worker
 * generates 300 batches of its own samples (TENSORFLOW mode). The chief writes the final w and b to
 * result.txt in the model directory.
 */
final class LinearRegressionNode {
  static final float TRUE_W = 3f;
  static final float TRUE_B = 2f;

  private LinearRegressionNode() {}

  static void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training = model.training(ctx, graph, false);
      TrainingLoop.builder(ctx, training)
          .beginTimeout(java.time.Duration.ofSeconds(60))
          .data(
              TestBatches.regression(
                  model.x(), model.y(), new Random(17 + ctx.taskIndex()), 300, 0.01f))
          .onFinish(
              (session, step) -> {
                if (ctx.isChief()) {
                  try (var result = session.runner().fetch(model.w()).fetch(model.b()).run()) {
                    float wv = ((TFloat32) result.get(0)).getFloat();
                    float bv = ((TFloat32) result.get(1)).getFloat();
                    write(ctx, "result.txt", wv + " " + bv);
                  }
                }
              })
          .build()
          .run(graph);
    }
  }

  static void write(NodeContext ctx, String name, String text) throws IOException {
    Path path = new Path(ctx.modelDir(), name);
    FileSystem fs = path.getFileSystem(ctx.hadoopConf());
    try (OutputStream out = fs.create(path, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
