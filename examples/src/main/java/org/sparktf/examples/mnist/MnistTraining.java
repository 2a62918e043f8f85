package org.sparktf.examples.mnist;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.sparktf.core.BatchSource;
import org.sparktf.core.BatchSource.Batch;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.TFRecordBatches;
import org.sparktf.core.TrainingLoop;
import org.sparktf.examples.reporting.Throughput;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * What every node of the MNIST cluster runs, in either input mode. Parameter servers only serve the
 * variables. Workers build {@link MnistModel} with its variables on the parameter servers and train
 * it asynchronously with SGD:
 *
 * <ul>
 *   <li>{@link InputMode#SPARK}: on the rows Spark feeds ({@code label}, {@code image} columns);
 *       the driver's {@code TFCluster.train(df, epochs)} decides the epochs.
 *   <li>{@link InputMode#TENSORFLOW}: each worker reads its share of the TFRecord files ({@code
 *       tf.train.Example}s with "label" and "image") for {@code epochs} passes, shuffled through a
 *       buffer of 10,000 records, and parses them in the graph.
 * </ul>
 *
 * Every worker writes its examples/s ({@link Throughput}). The chief (worker 0) checkpoints, writes
 * the graph and TensorBoard scalars to the model directory, and at the end exports a SavedModel
 * with a "serving_default" signature (input "image"; outputs "prediction" and "probabilities"),
 * built from a device-free serving graph restored from the last checkpoint.
 */
final class MnistTraining implements NodeFunction {
  private static final long serialVersionUID = 1L;
  // Records (about 3 KB each) each worker shuffles at a time in TENSORFLOW mode.
  private static final int SHUFFLE_BUFFER = 10_000;

  private final MnistModel model;
  private final MnistOptions options;
  private final String records;
  private final String exportDir;

  /**
   * @param records the TFRecord directory (TENSORFLOW mode; ignored in SPARK mode)
   * @param exportDir where the chief exports the SavedModel; must not exist
   */
  MnistTraining(MnistOptions options, String records, String exportDir) {
    this.model = new MnistModel(options.hiddenUnits);
    this.options = options;
    this.records = records;
    this.exportDir = exportDir;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    try (Graph graph = new Graph()) {
      Ops root = Ops.create(graph);
      Ops local = root.withDevice(ctx.localDevice());
      boolean fed = ctx.inputMode() == InputMode.SPARK;
      Placeholder<TString> serialized =
          fed ? null : local.withName("records").placeholder(TString.class);
      Operand<TFloat32> image;
      Operand<TInt64> label;
      if (fed) {
        image =
            local
                .withName("image")
                .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1)));
        label = local.withName("label").placeholder(TInt64.class);
      } else {
        ParseExample parsed = parse(local, serialized);
        image = parsed.denseValues().get(0).asOutput().expect(TFloat32.class);
        label = parsed.denseValues().get(1).asOutput().expect(TInt64.class);
      }
      ModelBuilder builder =
          new ModelBuilder(
              root, local, Map.of("image", image), label, ctx::variableDevice, true, options.seed);
      ModelOutputs outputs = model.build(builder);
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(
              ctx, graph, new GradientDescent(graph, options.learningRate), outputs.loss());
      TrainingLoop.Builder loop =
          TrainingLoop.builder(ctx, training)
              .checkpoints(1000, 0, 2)
              .summaryEvery(50)
              .every(1, Throughput.of(ctx, options.batchSize, 20))
              .exportSavedModel(exportDir, this::servingGraph);
      if (fed) {
        loop.data(
            BatchSource.feed(
                ctx.dataFeed(),
                options.batchSize,
                rows ->
                    Batch.of(Map.of(image, rows.float32("image"), label, rows.int64("label")))));
      } else {
        // shard() refuses a worker without files, naming the counts.
        List<String> files = TFRecordBatches.shard(ctx, records);
        Random random = new Random(options.seed + ctx.taskIndex());
        loop.data(
            options.epochs,
            epoch -> {
              TFRecordBatches batches = TFRecordBatches.open(ctx, files);
              ShuffleBuffer shuffled = new ShuffleBuffer(batches, SHUFFLE_BUFFER, random);
              return BatchSource.records(
                  shuffled::next,
                  options.batchSize,
                  batch -> Batch.of(Map.of(serialized, batch)),
                  batches);
            });
      }
      loop.build().run(graph);
    }
  }

  /** Parses serialized Examples into "image" (float x784) and "label" (int64), both required. */
  private static ParseExample parse(Ops tf, Operand<TString> serialized) {
    Operand<TString> none = tf.zeros(tf.constant(new int[] {0}), TString.class);
    return tf.io.parseExample(
        serialized,
        none,
        none,
        tf.constant(NdArrays.vectorOfObjects("image", "label")),
        none,
        List.of(tf.constant(new float[0]), tf.constant(new long[0])),
        0L,
        List.of(),
        List.of(),
        List.of(),
        List.of(Shape.of(MnistModel.PIXELS), Shape.scalar()));
  }

  /** The serving graph: the same variables, no devices, no label. */
  private Signature servingGraph(Ops tf) {
    Placeholder<TFloat32> image =
        tf.withName("image").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1)));
    ModelOutputs outputs =
        model.build(
            new ModelBuilder(tf, tf, Map.of("image", image), null, i -> null, false, options.seed));
    Signature.Builder signature = Signature.builder().key("serving_default").input("image", image);
    outputs.outputs().forEach(signature::output);
    return signature.build();
  }
}
