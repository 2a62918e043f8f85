package org.sparktf.ml.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.DataFeed;
import org.sparktf.core.FeedBatch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.SavedModels;
import org.sparktf.core.ShardedTable;
import org.sparktf.core.SparseLookup;
import org.sparktf.core.SparseOptimizer;
import org.sparktf.core.TFRecordBatches;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
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
import org.tensorflow.types.TString;

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
    long step;
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
      ReplicatedTraining training = training(ctx, graph, builder, outputs);
      if (config.tensorboard()) {
        training.summaries(outputs.loss(), config.summarySteps());
      }
      Checkpoints checkpoints =
          Checkpoints.every(config.checkpointInterval(), 0, config.checkpointsToKeep());
      try (Session session = ctx.session(graph)) {
        step = training.begin(session, config.nodeWaitTimeout());
        if (config.tfrecordDir() == null) {
          step = trainOnFeed(ctx, session, training, placeholders, label, checkpoints, step);
        } else {
          step = trainOnRecords(ctx, session, training, placeholders, label, checkpoints, step);
        }
        step = training.finish(session, config.nodeWaitTimeout());
        if (ctx.isChief()) {
          checkpoints.save(ctx, session, step);
        }
      }
    }
    if (ctx.isChief()) {
      export(ctx);
    }
  }

  /** InputMode.SPARK: rows fed by the Spark job, for as many epochs as it feeds. */
  private long trainOnFeed(
      NodeContext ctx,
      Session session,
      ReplicatedTraining training,
      Map<String, Placeholder<TFloat32>> placeholders,
      Placeholder<?> label,
      Checkpoints checkpoints,
      long step) {
    DataFeed feed = ctx.dataFeed();
    ctx.reportTargetStep(config.steps());
    while (!feed.shouldStop()) {
      long waitStart = System.nanoTime();
      FeedBatch batch = feed.nextBatch(config.batchSize());
      long waited = System.nanoTime() - waitStart;
      if (batch.rows() == 0) {
        break;
      }
      Map<Operand<?>, Tensor> feeds = new HashMap<>();
      try {
        config
            .inputMapping()
            .forEach((column, input) -> feeds.put(placeholders.get(input), batch.float32(column)));
        feeds.put(
            label,
            config.classLabel()
                ? batch.int64(config.labelCol())
                : batch.float32(config.labelCol()));
        long stepStart = System.nanoTime();
        step = training.step(session, feeds);
        ctx.reportStep(
            step, training.lastLoss(), batch.rows(), System.nanoTime() - stepStart, waited);
      } finally {
        feeds.values().forEach(Tensor::close);
      }
      if (ctx.isChief()) {
        checkpoints.maybeSave(ctx, session, step);
      }
      if (config.steps() > 0 && step >= config.steps()) {
        feed.terminate();
      }
    }
    return step;
  }

  /**
   * InputMode.TENSORFLOW: this worker reads its shard of the TFRecord files itself, once per epoch,
   * and parses each batch with tf.io.parseExample.
   */
  private long trainOnRecords(
      NodeContext ctx,
      Session session,
      ReplicatedTraining training,
      Map<String, Placeholder<TFloat32>> placeholders,
      Placeholder<?> label,
      Checkpoints checkpoints,
      long step) {
    // shard() refuses a worker without files, naming the counts.
    List<String> files = TFRecordBatches.shard(ctx, config.tfrecordDir());
    ctx.reportTargetStep(config.steps());
    try (ExampleParser parser = new ExampleParser(config)) {
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        try (TFRecordBatches records = TFRecordBatches.open(ctx, files)) {
          while (true) {
            long waitStart = System.nanoTime();
            try (TString serialized = records.next(config.batchSize())) {
              if (serialized.shape().size(0) == 0) {
                break;
              }
              try (Result parsed = parser.parse(serialized)) {
                Map<Operand<?>, Tensor> feeds = new HashMap<>();
                config
                    .inputMapping()
                    .forEach(
                        (column, input) ->
                            feeds.put(placeholders.get(input), parser.column(parsed, column)));
                feeds.put(label, parser.column(parsed, config.labelCol()));
                // Reading and parsing the records is this mode's wait for data.
                long stepStart = System.nanoTime();
                step = training.step(session, feeds);
                ctx.reportStep(
                    step,
                    training.lastLoss(),
                    serialized.shape().size(0),
                    System.nanoTime() - stepStart,
                    stepStart - waitStart);
              }
            }
            if (ctx.isChief()) {
              checkpoints.maybeSave(ctx, session, step);
            }
            if (config.steps() > 0 && step >= config.steps()) {
              return step;
            }
          }
        }
      }
    }
    return step;
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

  /** The serving graph: same variables, no devices, no label; restored from the last checkpoint. */
  private void export(NodeContext ctx) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
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
      List<String> names = new ArrayList<>(outputs.outputs().keySet());
      for (String name : names) {
        signature.output(name, outputs.outputs().get(name));
      }
      try (Session session = new Session(graph)) {
        Checkpoints.restoreLatest(ctx, session);
        SavedModels.export(
            session,
            ctx.hadoopConf(),
            config.exportDir(),
            ctx.localDir(),
            config.tags(),
            signature.build());
      }
    }
  }
}
