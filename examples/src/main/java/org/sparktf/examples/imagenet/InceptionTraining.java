package org.sparktf.examples.imagenet;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.sparktf.core.BatchSource;
import org.sparktf.core.BatchSource.Batch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.TrainingLoop;
import org.sparktf.examples.reporting.Throughput;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The TensorFlow node function of {@link ImageNetTraining}: each worker reads its share of the
 * {@code train-*} TFRecord files, decodes and augments the JPEGs in the graph and trains Inception
 * v3 synchronously with the others (one averaged gradient per worker per update, variables on the
 * parameter servers). The chief writes the loss for TensorBoard and checkpoints to the model
 * directory, the last one after {@code maxSteps} updates.
 */
final class InceptionTraining implements NodeFunction {
  private static final long serialVersionUID = 1L;

  /** What to train and how; serializable, it travels to the nodes. */
  record Config(
      String dataDir,
      InceptionV3 model,
      int imageSize,
      int batchSize,
      long maxSteps,
      float learningRate,
      int summaryEvery,
      long checkpointEvery,
      Duration syncTimeout,
      long seed)
      implements Serializable {}

  private final Config config;

  InceptionTraining(Config config) {
    this.config = config;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    List<String> files =
        ImageNetFiles.shard(
            ctx.hadoopConf(), config.dataDir(), "train", ctx.taskIndex(), ctx.numWorkers());
    try (Graph graph = new Graph()) {
      Ops root = Ops.create(graph);
      Ops local = root.withDevice(ctx.localDevice());
      Placeholder<TString> records =
          local
              .withName("records")
              .placeholder(TString.class, Placeholder.shape(Shape.of(config.batchSize())));
      ImageNetRecords.Batch batch =
          ImageNetRecords.parse(
              local,
              records,
              config.batchSize(),
              config.imageSize(),
              true,
              config.seed() + 1000L * ctx.taskIndex());
      ModelBuilder builder =
          new ModelBuilder(
              root,
              local,
              Map.of("images", batch.images()),
              batch.labels(),
              ctx::variableDevice,
              true,
              config.seed());
      Operand<TFloat32> loss = loss(builder, config.model(), batch.images());
      ReplicatedTraining training =
          ReplicatedTraining.synchronous(
              ctx,
              graph,
              new GradientDescent(graph, config.learningRate()),
              loss,
              config.syncTimeout());
      // Every batch is full and the data never ends, so every worker runs to maxSteps.
      RecordCycle cycle = new RecordCycle(ctx, files, config.seed() + ctx.taskIndex());
      TrainingLoop.Builder loop =
          TrainingLoop.builder(ctx, training)
              .maxSteps(config.maxSteps())
              .summaryEvery(config.summaryEvery())
              .checkpoints(config.checkpointEvery(), 0, 3)
              .data(
                  BatchSource.records(
                      cycle::next,
                      config.batchSize(),
                      serialized -> Batch.of(Map.of(records, serialized)),
                      cycle));
      if (config.summaryEvery() > 0) {
        // Each worker's images/s, measured over as many of its steps as the loss summaries.
        loop.every(1, Throughput.of(ctx, config.batchSize(), config.summaryEvery()));
      }
      loop.build().run(graph);
    }
  }

  /** Softmax cross-entropy of the logits, plus 0.4 times that of the auxiliary logits. */
  static Operand<TFloat32> loss(ModelBuilder builder, InceptionV3 model, Operand<TFloat32> images) {
    InceptionV3.Logits logits = model.build(builder, images);
    var classes = builder.labelAsClasses();
    Operand<TFloat32> loss =
        Layers.softmaxCrossEntropy(builder, logits.main(), classes, model.numClasses());
    if (logits.aux() != null) {
      Ops tf = builder.tf();
      loss =
          tf.math.add(
              loss,
              tf.math.mul(
                  tf.constant(0.4f),
                  Layers.softmaxCrossEntropy(builder, logits.aux(), classes, model.numClasses())));
    }
    return loss;
  }
}
