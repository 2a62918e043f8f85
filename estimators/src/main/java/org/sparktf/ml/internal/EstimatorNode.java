package org.sparktf.ml.internal;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.sparktf.core.BatchSource;
import org.sparktf.core.BatchSource.Batch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.TFRecordBatches;
import org.sparktf.core.TrainingLoop;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelFunction;
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

  /**
   * The estimator's settings, as the nodes need them: an immutable value, made with {@link
   * #builder()}, that travels to the nodes Java-serialized (a record is deserialized through its
   * constructor, so the checks below hold on the nodes too).
   *
   * @param inputMapping fed column -> model input name, in feeding order
   * @param inputRanks model input name -> 1 for scalar columns, 2 for arrays and vectors
   * @param classLabel whether the label is integral (fed as int64 class ids) rather than float
   * @param nodeWaitTimeout how long a worker waits for the others: to begin, at each synchronous
   *     step, and for the chief to finish
   * @param tfrecordDir InputMode.TENSORFLOW: the TFRecord directory the workers read; null when
   *     Spark feeds the rows
   * @param columnWidths InputMode.TENSORFLOW: fed column -> values per row (1 for scalars)
   * @param integralColumns InputMode.TENSORFLOW: the columns stored as int64_list
   */
  public record Config(
      ModelFunction model,
      Map<String, String> inputMapping,
      Map<String, Integer> inputRanks,
      String labelCol,
      boolean classLabel,
      int batchSize,
      long steps,
      int epochs,
      String optimizer,
      float learningRate,
      boolean syncReplicas,
      long checkpointInterval,
      int checkpointsToKeep,
      int summarySteps,
      Duration nodeWaitTimeout,
      long seed,
      boolean tensorboard,
      String exportDir,
      String signatureDefKey,
      List<String> tags,
      String tfrecordDir,
      Map<String, Integer> columnWidths,
      Set<String> integralColumns)
      implements Serializable {
    public Config {
      require(model, "model");
      require(inputMapping, "inputMapping");
      require(inputRanks, "inputRanks");
      require(labelCol, "labelCol");
      require(optimizer, "optimizer");
      require(nodeWaitTimeout, "nodeWaitTimeout");
      require(exportDir, "exportDir");
      require(signatureDefKey, "signatureDefKey");
      require(tags, "tags");
      // Unmodifiable copies that keep the order: the inputs are fed in inputMapping's order.
      inputMapping = Collections.unmodifiableMap(new LinkedHashMap<>(inputMapping));
      inputRanks = Collections.unmodifiableMap(new LinkedHashMap<>(inputRanks));
      tags = List.copyOf(tags);
      columnWidths =
          columnWidths == null
              ? Map.of()
              : Collections.unmodifiableMap(new LinkedHashMap<>(columnWidths));
      integralColumns = integralColumns == null ? Set.of() : Set.copyOf(integralColumns);
    }

    private static void require(Object value, String name) {
      if (value == null) {
        throw new IllegalArgumentException("Invalid estimator config: " + name + " is not set");
      }
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Collects a Config's values by name; {@link #build()} checks them. */
    public static final class Builder {
      private ModelFunction model;
      private Map<String, String> inputMapping;
      private Map<String, Integer> inputRanks;
      private String labelCol;
      private boolean classLabel;
      private int batchSize;
      private long steps;
      private int epochs;
      private String optimizer;
      private float learningRate;
      private boolean syncReplicas;
      private long checkpointInterval;
      private int checkpointsToKeep;
      private int summarySteps;
      private Duration nodeWaitTimeout;
      private long seed;
      private boolean tensorboard;
      private String exportDir;
      private String signatureDefKey;
      private List<String> tags;
      private String tfrecordDir;
      private Map<String, Integer> columnWidths;
      private Set<String> integralColumns;

      private Builder() {}

      public Builder model(ModelFunction value) {
        model = value;
        return this;
      }

      public Builder inputMapping(Map<String, String> value) {
        inputMapping = value;
        return this;
      }

      public Builder inputRanks(Map<String, Integer> value) {
        inputRanks = value;
        return this;
      }

      public Builder labelCol(String value) {
        labelCol = value;
        return this;
      }

      public Builder classLabel(boolean value) {
        classLabel = value;
        return this;
      }

      public Builder batchSize(int value) {
        batchSize = value;
        return this;
      }

      public Builder steps(long value) {
        steps = value;
        return this;
      }

      public Builder epochs(int value) {
        epochs = value;
        return this;
      }

      public Builder optimizer(String value) {
        optimizer = value;
        return this;
      }

      public Builder learningRate(float value) {
        learningRate = value;
        return this;
      }

      public Builder syncReplicas(boolean value) {
        syncReplicas = value;
        return this;
      }

      public Builder checkpointInterval(long value) {
        checkpointInterval = value;
        return this;
      }

      public Builder checkpointsToKeep(int value) {
        checkpointsToKeep = value;
        return this;
      }

      public Builder summarySteps(int value) {
        summarySteps = value;
        return this;
      }

      public Builder nodeWaitTimeout(Duration value) {
        nodeWaitTimeout = value;
        return this;
      }

      public Builder seed(long value) {
        seed = value;
        return this;
      }

      public Builder tensorboard(boolean value) {
        tensorboard = value;
        return this;
      }

      public Builder exportDir(String value) {
        exportDir = value;
        return this;
      }

      public Builder signatureDefKey(String value) {
        signatureDefKey = value;
        return this;
      }

      public Builder tags(List<String> value) {
        tags = value;
        return this;
      }

      public Builder tfrecordDir(String value) {
        tfrecordDir = value;
        return this;
      }

      public Builder columnWidths(Map<String, Integer> value) {
        columnWidths = value;
        return this;
      }

      public Builder integralColumns(Set<String> value) {
        integralColumns = value;
        return this;
      }

      public Config build() {
        return new Config(
            model,
            inputMapping,
            inputRanks,
            labelCol,
            classLabel,
            batchSize,
            steps,
            epochs,
            optimizer,
            learningRate,
            syncReplicas,
            checkpointInterval,
            checkpointsToKeep,
            summarySteps,
            nodeWaitTimeout,
            seed,
            tensorboard,
            exportDir,
            signatureDefKey,
            tags,
            tfrecordDir,
            columnWidths,
            integralColumns);
      }
    }
  }

  private final Config config;

  public EstimatorNode(Config config) {
    this.config = config;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    // InputMode.TENSORFLOW parses records in a graph of its own, opened when the first epoch
    // starts,
    // after the training session has begun.
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
          new ModelBuilder(root, local, inputs, label, ctx::variableDevice, true, config.seed());
      ModelOutputs outputs = config.model().build(builder);
      if (outputs.loss() == null) {
        throw new IllegalStateException(
            "Cannot train: the model function returned no loss for the training graph");
      }
      ReplicatedTraining training =
          config.syncReplicas()
              ? ReplicatedTraining.synchronous(
                  ctx, graph, optimizer(graph), outputs.loss(), config.nodeWaitTimeout())
              : ReplicatedTraining.asynchronous(ctx, graph, optimizer(graph), outputs.loss());
      TrainingLoop.Builder loop =
          TrainingLoop.builder(ctx, training)
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
        // InputMode.TENSORFLOW: this worker reads its shard of the TFRecord files itself, once per
        // epoch, and parses each batch with tf.io.parseExample. shard() refuses a worker without
        // files, naming the counts.
        List<String> files = TFRecordBatches.shard(ctx, config.tfrecordDir());
        loop.data(
            config.epochs(),
            epoch -> {
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
