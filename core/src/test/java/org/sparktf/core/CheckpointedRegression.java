package org.sparktf.core;

import java.util.Random;
import org.tensorflow.Graph;

/**
 * y = 3x + 2 with checkpoints every 50 steps (keeping 2), resume from the latest checkpoint, and a
 * SavedModel export by the chief to {@code export/<step>}. Trains until the global step reaches
 * {@code targetStep}. The chief writes the checkpoint it began from to restored.txt (-1: none).
 */
final class CheckpointedRegression implements NodeFunction {
  private static final long serialVersionUID = 1L;
  private final long targetStep;

  CheckpointedRegression(long targetStep) {
    this.targetStep = targetStep;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training = model.training(ctx, graph, false);
      TrainingLoop.builder(ctx, training)
          .maxSteps(targetStep)
          .checkpoints(50, 0, 2)
          .data(
              TestBatches.regression(
                  model.x(), model.y(), new Random(ctx.taskIndex()), Long.MAX_VALUE, 0))
          .onBegin(
              (session, step) -> {
                if (ctx.isChief()) {
                  long restored =
                      Checkpoints.latestStep(ctx.hadoopConf(), ctx.modelDir()).orElse(-1);
                  LinearRegressionNode.write(ctx, "restored.txt", Long.toString(restored));
                  LinearRegressionNode.write(
                      ctx, "generation.txt", Long.toString(ctx.generation()));
                }
              })
          .exportSavedModel(
              step -> ctx.modelDir() + "/export/" + step, LinearRegressionGraph::servingGraph)
          .build()
          .run(graph);
    }
  }
}
