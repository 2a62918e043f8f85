package org.sparktf.ml.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.sparktf.core.BatchSource;
import org.sparktf.core.BatchSource.Batch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.ShardedTable;
import org.sparktf.core.SparseLookup;
import org.sparktf.core.SparseOptimizer;
import org.sparktf.core.TFRecordBatches;
import org.sparktf.core.TrainingLoop;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.AdaGrad;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** What every node of a TFEstimator's cluster runs: train on the fed rows, then export. */
public final class EstimatorNode implements NodeFunction {
  private static final long serialVersionUID = 1L;

  private final NodeConfig config;

  public EstimatorNode(NodeConfig config) {
    this.config = config;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    // InputMode.TENSORFLOW parses records in a graph of its own, opened when the first epoch starts
    // (after the training session has begun) and closed after the loop.
    ExampleParser[] parser = {null};
    try (Graph graph = new Graph()) {
      Ops root = Ops.create(graph);
      Ops local = root.withDevice(ctx.localDevice());
      Map<String, Operand<TFloat32>> inputs = new LinkedHashMap<>();
      Map<String, Placeholder<TFloat32>> placeholders = new LinkedHashMap<>();
      for (String input : config.inputMapping().values()) {
        Placeholder<TFloat32> p = local.withName(input).placeholder(TFloat32.class, shape(input));
        placeholders.put(input, p);
        inputs.put(input, p);
      }
      Placeholder<?> label =
          config.classLabel()
              ? local.withName("label").placeholder(TInt64.class)
              : local.withName("label").placeholder(TFloat32.class);
      ModelBuilder builder =
          new ModelBuilder(
              root,
              local,
              inputs,
              label,
              ctx::variableDevice,
              true,
              config.seed(),
              tableShards(ctx));
      ModelOutputs outputs = config.model().build(builder);
      if (outputs.loss() == null) {
        throw new IllegalStateException(
            "Cannot train: the model function returned no loss for the training graph");
      }
      TrainingLoop.Builder loop =
          TrainingLoop.builder(ctx, training(ctx, graph, builder, outputs))
              .maxSteps(config.steps())
              .checkpoints(config.checkpointInterval(), 0, config.checkpointsToKeep())
              .summaryEvery(config.tensorboard() ? config.summarySteps() : 0)
              .beginTimeout(config.nodeWaitTimeout())
              .finishTimeout(config.nodeWaitTimeout())
              .exportSavedModel(step -> config.exportDir(), config.tags(), this::servingGraph);
      if (config.tfrecordDir() == null) {
        // InputMode.SPARK: rows fed by the Spark job, for as many epochs as it feeds.
        loop.data(
            BatchSource.feed(
                ctx.dataFeed(),
                config.batchSize(),
                rows ->
                    Batch.of(
                        feeds(
                            placeholders,
                            label,
                            rows::float32,
                            config.classLabel()
                                ? rows.int64(config.labelCol())
                                : rows.float32(config.labelCol())))));
      } else {
        // InputMode.TENSORFLOW: this worker reads its shard of the TFRecord files itself and
        // parses each batch with tf.io.parseExample. shard() refuses a worker without files,
        // naming the counts. The epochs are read as one stream (the files listed once per epoch),
        // so batches run on across an epoch's end and only the last batch of training can be
        // short: a shard of 2,001 records read epoch by epoch ended every epoch with a batch of
        // one record, and those single-record steps left a 2-worker fit at 0.87 test accuracy
        // instead of 0.99 (TFEstimatorTest).
        List<String> shard = TFRecordBatches.shard(ctx, config.tfrecordDir());
        List<String> files = new ArrayList<>();
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
          files.addAll(shard);
        }
        loop.data(
            1,
            once -> {
              if (parser[0] == null) {
                parser[0] = new ExampleParser(config);
              }
              TFRecordBatches records = TFRecordBatches.open(ctx, files);
              return BatchSource.records(
                  records::next,
                  config.batchSize(),
                  serialized -> {
                    Result parsed = parser[0].parse(serialized);
                    return Batch.ownedBy(
                        parsed,
                        feeds(
                            placeholders,
                            label,
                            column -> parser[0].column(parsed, column),
                            parser[0].column(parsed, config.labelCol())));
                  },
                  records);
            });
      }
      loop.build().run(graph);
    } finally {
      if (parser[0] != null) {
        parser[0].close();
      }
    }
  }

  /** The feeds of one batch: each input's column, and the label. */
  private Map<Operand<?>, Tensor> feeds(
      Map<String, Placeholder<TFloat32>> placeholders,
      Placeholder<?> label,
      Function<String, Tensor> column,
      Tensor labels) {
    Map<Operand<?>, Tensor> feeds = new HashMap<>();
    feeds.put(label, labels);
    config
        .inputMapping()
        .forEach((col, input) -> feeds.put(placeholders.get(input), column.apply(col)));
    return feeds;
  }

  private Placeholder.Options shape(String input) {
    return Placeholder.shape(
        config.inputRanks().get(input) == 1
            ? org.tensorflow.ndarray.Shape.of(-1)
            : org.tensorflow.ndarray.Shape.of(-1, -1));
  }

  /**
   * Replicated training of the model; the tables it looked up get sparse updates, except with Adam,
   * which has no sparse apply op in TensorFlow: then every variable is updated densely.
   */
  private ReplicatedTraining training(
      NodeContext ctx, Graph graph, ModelBuilder builder, ModelOutputs outputs) {
    List<SparseLookup> lookups = builder.sparseLookups();
    SparseOptimizer sparse = sparseOptimizer();
    if (lookups.isEmpty() || sparse == null) {
      return config.syncReplicas()
          ? ReplicatedTraining.synchronous(
              ctx, graph, optimizer(graph), outputs.loss(), config.nodeWaitTimeout())
          : ReplicatedTraining.asynchronous(ctx, graph, optimizer(graph), outputs.loss());
    }
    return config.syncReplicas()
        ? ReplicatedTraining.synchronous(
            ctx, graph, sparse, outputs.loss(), lookups, config.nodeWaitTimeout())
        : ReplicatedTraining.asynchronous(ctx, graph, sparse, outputs.loss(), lookups);
  }

  /**
   * The shard count of the training graph's tables: the setting, or one per parameter-server task;
   * 1 with Adam, whose dense updates would write the shards' slots under their own names.
   */
  private int tableShards(NodeContext ctx) {
    if (sparseOptimizer() == null) {
      if (config.tableShards() > 1) {
        throw new IllegalArgumentException(
            "Invalid tableShards: "
                + config.tableShards()
                + " with optimizer "
                + config.optimizer()
                + ", which updates tables densely; use sgd or adagrad, or tableShards 0 or 1");
      }
      return 1;
    }
    return config.tableShards() > 0 ? config.tableShards() : ShardedTable.defaultShards(ctx);
  }

  /** The sparse form of the configured optimizer; null for Adam, which has none. */
  private SparseOptimizer sparseOptimizer() {
    switch (config.optimizer()) {
      case "adam":
        return null;
      case "adagrad":
        return SparseOptimizer.adaGrad(config.learningRate(), AdaGrad.INITIAL_ACCUMULATOR_DEFAULT);
      default:
        return SparseOptimizer.sgd(config.learningRate());
    }
  }

  private Optimizer optimizer(Graph graph) {
    switch (config.optimizer()) {
      case "adam":
        return new Adam(graph, config.learningRate());
      case "adagrad":
        return new AdaGrad(graph, config.learningRate());
      default:
        return new GradientDescent(graph, config.learningRate());
    }
  }

  /** The serving graph: same variables, no devices, no label. */
  private Signature servingGraph(Ops tf) {
    Map<String, Operand<TFloat32>> inputs = new LinkedHashMap<>();
    Signature.Builder signature = Signature.builder().key(config.signatureDefKey());
    for (String input : config.inputMapping().values()) {
      Placeholder<TFloat32> p = tf.withName(input).placeholder(TFloat32.class, shape(input));
      inputs.put(input, p);
      signature.input(input, p);
    }
    ModelOutputs outputs =
        config
            .model()
            .build(new ModelBuilder(tf, tf, inputs, null, i -> null, false, config.seed()));
    outputs.outputs().forEach(signature::output);
    return signature.build();
  }
}
