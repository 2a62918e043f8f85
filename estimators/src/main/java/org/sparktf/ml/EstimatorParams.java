package org.sparktf.ml;

import java.util.Arrays;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.sparktf.core.InputMode;
import scala.Function1;

/**
 * The Params of {@link TFEstimator}, each with its doc, validator, default and typed getter; the
 * ones it shares with {@link TFModel} come from {@link SharedParams}. The setters are on
 * TFEstimator, so they return it. Package-private: TFEstimator is the public type.
 */
abstract class EstimatorParams extends Estimator<TFModel> implements TFModelParams {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final SharedParams shared;
  private final Param<String> labelCol;
  private final IntParam epochs;
  private final LongParam steps;
  private final IntParam clusterSize;
  private final IntParam numPs;
  private final Param<String> modelDir;
  private final BooleanParam tensorboard;
  private final IntParam summarySteps;
  private final Param<String> optimizer;
  private final IntParam tableShards;
  private final FloatParam learningRate;
  private final BooleanParam syncReplicas;
  private final LongParam feedTimeout;
  private final LongParam nodeWaitTimeout;
  private final LongParam shutdownTimeout;
  private final IntParam maxRestarts;
  private final LongParam nodeLivenessTimeout;
  private final LongParam progressInterval;
  private final Param<String> nodeJavaOptions;
  private final LongParam checkpointInterval;
  private final IntParam checkpointsToKeep;
  private final LongParam seed;
  private final Param<String> inputMode;
  private final Param<String> tfrecordDir;

  EstimatorParams(String uid) {
    this.uid = uid;
    shared = new SharedParams(this);
    labelCol =
        new Param<>(
            this,
            "labelCol",
            "The label column (numeric). Default: \"label\".",
            SharedParams.nonEmpty());
    epochs =
        new IntParam(this, "epochs", "Passes over the data. Default: 1.", ParamValidators.gtEq(1));
    steps =
        new LongParam(
            this,
            "steps",
            "Stop after this many global steps; 0 runs every epoch. Default: 0.",
            ParamValidators.gtEq(0));
    clusterSize =
        new IntParam(
            this,
            "clusterSize",
            "TensorFlow nodes, one per executor. Default: 1.",
            ParamValidators.gtEq(1));
    numPs =
        new IntParam(
            this,
            "numPs",
            "Parameter servers among the nodes. Default: 0.",
            ParamValidators.gtEq(0));
    modelDir =
        new Param<>(
            this,
            "modelDir",
            "Checkpoints and TensorBoard logs, a Hadoop FileSystem URI. Default: none (required).",
            SharedParams.nonEmpty());
    tensorboard =
        new BooleanParam(
            this,
            "tensorboard",
            "Write the graph, loss and steps/sec for TensorBoard. Default: true.");
    summarySteps =
        new IntParam(
            this,
            "summarySteps",
            "Global steps between TensorBoard summaries (with tensorboard). Default: 50.",
            ParamValidators.gtEq(1));
    optimizer =
        new Param<>(
            this,
            "optimizer",
            "sgd, adam or adagrad. Default: \"sgd\". With sgd and adagrad, tables read through"
                + " ModelBuilder.lookup (Layers.embedding, Layers.wide) get sparse updates; with"
                + " adam (no sparse apply op in TensorFlow) every variable is updated densely.",
            ParamValidators.inArray(new String[] {"sgd", "adam", "adagrad"}));
    tableShards =
        new IntParam(
            this,
            "tableShards",
            "How many shards Layers.embedding / Layers.wide (ModelBuilder.table) split each table"
                + " into, over the parameter servers; 0: one per parameter-server task (1 without"
                + " any). Checkpoints and the exported model hold each table as one. With adam"
                + " (dense updates) tables are not sharded; a count above 1 is refused. Default: 0.",
            ParamValidators.gtEq(0));
    learningRate =
        new FloatParam(
            this,
            "learningRate",
            "The optimizer's learning rate. Default: 0.01.",
            ParamValidators.gt(0));
    syncReplicas =
        new BooleanParam(
            this,
            "syncReplicas",
            "Average one gradient per worker per update (needs steps). Default: false.");
    feedTimeout =
        new LongParam(
            this,
            "feedTimeout",
            "Seconds a feeding task waits for a worker. Default: 600.",
            ParamValidators.gtEq(1));
    nodeWaitTimeout =
        new LongParam(
            this,
            "nodeWaitTimeout",
            "Seconds a worker waits for the others: for the chief to prepare the variables, at each"
                + " synchronous step, and (the chief) for every worker's last update. Default: 600.",
            ParamValidators.gtEq(1));
    shutdownTimeout =
        new LongParam(
            this,
            "shutdownTimeout",
            "Seconds fit waits for the workers to finish once the rows are fed (SPARK) or the"
                + " cluster has started (TENSORFLOW); then fit fails. Default: 259200 (3 days).",
            ParamValidators.gtEq(1));
    maxRestarts =
        new IntParam(
            this,
            "maxRestarts",
            "Times the cluster may restart after losing a node's process or executor; the"
                + " restarted nodes resume from the latest checkpoint. Default: 0.",
            ParamValidators.gtEq(0));
    nodeLivenessTimeout =
        new LongParam(
            this,
            "nodeLivenessTimeout",
            "Seconds a node's process or executor may stay silent (frozen, its host gone, a network"
                + " partition) before the node counts as lost: the cluster then restarts"
                + " (maxRestarts) or fit fails naming the node. 0 takes the Spark conf"
                + " spark.sparktf.nodeLivenessTimeout, else spark.network.timeout. Default: 0.",
            ParamValidators.gtEq(0));
    progressInterval =
        new LongParam(
            this,
            "progressInterval",
            "Seconds between the driver's progress log lines during fit (epoch, rows fed, global"
                + " step, loss, examples/s, time left); 0 logs none; -1 takes the Spark conf"
                + " spark.sparktf.progressInterval, else 10 s. Default: -1.",
            ParamValidators.gtEq(-1));
    nodeJavaOptions =
        new Param<>(
            this,
            "nodeJavaOptions",
            "JVM options of the TensorFlow node processes, separated by spaces, each starting with"
                + " '-' (heap: -Xmx; the executor's memoryOverhead must cover it). Default:"
                + " \"-Xmx1g\".",
            (Function1<String, Object>) EstimatorParams::validJavaOptions);
    checkpointInterval =
        new LongParam(
            this,
            "checkpointInterval",
            "Global steps between checkpoints. Default: 1000.",
            ParamValidators.gtEq(1));
    checkpointsToKeep =
        new IntParam(
            this,
            "checkpointsToKeep",
            "Newest checkpoints kept in modelDir. Default: 3.",
            ParamValidators.gtEq(1));
    seed =
        new LongParam(
            this,
            "seed",
            "Seed of initializers and dropout; any long. Default: 42.",
            (Function1<Object, Object>) value -> true);
    inputMode =
        new Param<>(
            this,
            "inputMode",
            "SPARK: the fit job feeds the rows to the workers; TENSORFLOW: fit writes the columns as"
                + " TFRecords under tfrecordDir and each worker reads and parses its shard itself."
                + " Default: \"SPARK\".",
            ParamValidators.inArray(new String[] {"SPARK", "TENSORFLOW"}));
    tfrecordDir =
        new Param<>(
            this,
            "tfrecordDir",
            "Where inputMode TENSORFLOW writes the training TFRecords, a Hadoop FileSystem URI that"
                + " must not exist. Default: modelDir + \"/tfrecords\".",
            SharedParams.nonEmpty());
    setDefault(signatureDefKey(), SharedParams.DEFAULT_SIGNATURE_DEF_KEY);
    setDefault(tagSet(), SharedParams.DEFAULT_TAG_SET);
    setDefault(batchSize(), SharedParams.DEFAULT_BATCH_SIZE);
    setDefault(labelCol, "label");
    setDefault(epochs, 1);
    setDefault(steps, 0L);
    setDefault(clusterSize, 1);
    setDefault(numPs, 0);
    setDefault(tensorboard, true);
    setDefault(summarySteps, 50);
    setDefault(optimizer, "sgd");
    setDefault(tableShards, 0);
    setDefault(learningRate, 0.01f);
    setDefault(syncReplicas, false);
    setDefault(feedTimeout, 600L);
    setDefault(nodeWaitTimeout, 600L);
    setDefault(shutdownTimeout, 259_200L);
    setDefault(maxRestarts, 0);
    setDefault(nodeLivenessTimeout, 0L);
    setDefault(progressInterval, -1L);
    setDefault(nodeJavaOptions, "-Xmx1g");
    setDefault(checkpointInterval, 1000L);
    setDefault(checkpointsToKeep, 3);
    setDefault(seed, 42L);
    setDefault(inputMode, "SPARK");
  }

  private static boolean validJavaOptions(String options) {
    String trimmed = options == null ? "" : options.trim();
    return !trimmed.isEmpty()
        && Arrays.stream(trimmed.split("\\s+")).allMatch(o -> o.startsWith("-"));
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Param<String> exportDir() {
    return shared.exportDir;
  }

  @Override
  public Param<String> signatureDefKey() {
    return shared.signatureDefKey;
  }

  @Override
  public Param<String> tagSet() {
    return shared.tagSet;
  }

  @Override
  public MappingParam inputMapping() {
    return shared.inputMapping;
  }

  @Override
  public MappingParam outputMapping() {
    return shared.outputMapping;
  }

  @Override
  public IntParam batchSize() {
    return shared.batchSize;
  }

  public Param<String> labelCol() {
    return labelCol;
  }

  public String getLabelCol() {
    return getOrDefault(labelCol);
  }

  public IntParam epochs() {
    return epochs;
  }

  public int getEpochs() {
    return (Integer) getOrDefault(epochs);
  }

  public LongParam steps() {
    return steps;
  }

  public long getSteps() {
    return (Long) getOrDefault(steps);
  }

  public IntParam clusterSize() {
    return clusterSize;
  }

  public int getClusterSize() {
    return (Integer) getOrDefault(clusterSize);
  }

  public IntParam numPs() {
    return numPs;
  }

  public int getNumPs() {
    return (Integer) getOrDefault(numPs);
  }

  public Param<String> modelDir() {
    return modelDir;
  }

  public String getModelDir() {
    return getOrDefault(modelDir);
  }

  public BooleanParam tensorboard() {
    return tensorboard;
  }

  public boolean getTensorboard() {
    return (Boolean) getOrDefault(tensorboard);
  }

  public IntParam summarySteps() {
    return summarySteps;
  }

  public int getSummarySteps() {
    return (Integer) getOrDefault(summarySteps);
  }

  public Param<String> optimizer() {
    return optimizer;
  }

  public String getOptimizer() {
    return getOrDefault(optimizer);
  }

  public IntParam tableShards() {
    return tableShards;
  }

  public int getTableShards() {
    return (Integer) getOrDefault(tableShards);
  }

  public FloatParam learningRate() {
    return learningRate;
  }

  public float getLearningRate() {
    return (Float) getOrDefault(learningRate);
  }

  public BooleanParam syncReplicas() {
    return syncReplicas;
  }

  public boolean getSyncReplicas() {
    return (Boolean) getOrDefault(syncReplicas);
  }

  public LongParam feedTimeout() {
    return feedTimeout;
  }

  /** Seconds. */
  public long getFeedTimeout() {
    return (Long) getOrDefault(feedTimeout);
  }

  public LongParam nodeWaitTimeout() {
    return nodeWaitTimeout;
  }

  /** Seconds. */
  public long getNodeWaitTimeout() {
    return (Long) getOrDefault(nodeWaitTimeout);
  }

  public LongParam shutdownTimeout() {
    return shutdownTimeout;
  }

  /** Seconds. */
  public long getShutdownTimeout() {
    return (Long) getOrDefault(shutdownTimeout);
  }

  public IntParam maxRestarts() {
    return maxRestarts;
  }

  public int getMaxRestarts() {
    return (Integer) getOrDefault(maxRestarts);
  }

  public LongParam nodeLivenessTimeout() {
    return nodeLivenessTimeout;
  }

  /** Seconds; 0 means the Spark conf decides. */
  public long getNodeLivenessTimeout() {
    return (Long) getOrDefault(nodeLivenessTimeout);
  }

  public LongParam progressInterval() {
    return progressInterval;
  }

  /** Seconds; -1 means the Spark conf decides. */
  public long getProgressInterval() {
    return (Long) getOrDefault(progressInterval);
  }

  public Param<String> nodeJavaOptions() {
    return nodeJavaOptions;
  }

  public String getNodeJavaOptions() {
    return getOrDefault(nodeJavaOptions);
  }

  public LongParam checkpointInterval() {
    return checkpointInterval;
  }

  public long getCheckpointInterval() {
    return (Long) getOrDefault(checkpointInterval);
  }

  public IntParam checkpointsToKeep() {
    return checkpointsToKeep;
  }

  public int getCheckpointsToKeep() {
    return (Integer) getOrDefault(checkpointsToKeep);
  }

  public LongParam seed() {
    return seed;
  }

  public long getSeed() {
    return (Long) getOrDefault(seed);
  }

  public Param<String> inputMode() {
    return inputMode;
  }

  public InputMode getInputMode() {
    return InputMode.valueOf(getOrDefault(inputMode));
  }

  public Param<String> tfrecordDir() {
    return tfrecordDir;
  }

  /** The tfrecordDir set, or else modelDir + "/tfrecords". */
  public String getTfrecordDir() {
    return isDefined(tfrecordDir)
        ? getOrDefault(tfrecordDir)
        : new Path(getModelDir(), "tfrecords").toString();
  }
}
