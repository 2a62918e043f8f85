package org.sparktf.ml;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.sparktf.core.InputMode;
import org.sparktf.core.ProgressListener;
import org.sparktf.core.TFCluster;
import org.sparktf.core.columnar.FeedSchema;
import org.sparktf.ml.internal.Directories;
import org.sparktf.ml.internal.EstimatorNode;
import org.sparktf.ml.internal.ModelFunctionStore;
import org.sparktf.ml.internal.ModelSchemas;
import org.sparktf.ml.internal.NodeConfig;
import org.sparktf.ml.internal.RecordStaging;
import org.sparktf.ml.model.ModelFunction;
import scala.Option;

/**
 * Trains a {@link ModelFunction} on a TensorFlow cluster of this application's executors and
 * returns a {@link TFModel} over the exported SavedModel. With inputMode SPARK (the default) the
 * fit job feeds the rows to the workers; with TENSORFLOW, fit writes them as TFRecords under
 * tfrecordDir and each worker reads and parses its own shard.
 *
 * <pre>{@code
 * TFEstimator estimator = new TFEstimator(MyModels::mnist)
 *     .setInputMapping(Map.of("features", "image")).setLabelCol("label")
 *     .setOutputMapping(Map.of("class", "prediction"))
 *     .setClusterSize(3).setNumPs(1).setModelDir("hdfs:///m/mnist").setExportDir("hdfs:///m/mnist/export/1");
 * TFModel model = estimator.fit(train);
 * }</pre>
 *
 * <p>Each Param has a typed getter ({@code getEpochs()}) and a setter here ({@code setEpochs(n)});
 * their docs end with the default. Saving a TFEstimator stores its Params and its model function,
 * Java-serialized (as Spark ships closures): loading it needs the function's classes on the
 * classpath, and admits only the classes a model function is made of (see docs/estimators.md).
 */
public class TFEstimator extends EstimatorParams implements MLWritable {
  private static final long serialVersionUID = 1L;
  private static final String MODEL_FUNCTION_FILE = "data/modelFunction.ser";

  private final ModelFunction modelFunction;
  // Callbacks on the driver, not Params: neither saved nor carried into copies or the model.
  private transient List<ProgressListener> progressListeners;

  public TFEstimator(ModelFunction modelFunction) {
    this("TFEstimator_" + UUID.randomUUID().toString().substring(0, 12), modelFunction);
  }

  public TFEstimator(String uid, ModelFunction modelFunction) {
    super(uid);
    this.modelFunction = modelFunction;
  }

  /**
   * Calls {@code listener} with the training progress of every later {@link #fit} of this instance
   * (both input modes): at every {@code progressInterval} while training runs, at the end of every
   * fed epoch and once when the workers finished (see {@link TFCluster#addProgressListener}). A
   * listener is a driver-side callback, not a Param: {@link #save} does not keep it, and a copy
   * ({@code copy(ParamMap)}, or {@code fit(dataset, paramMap)}) has none.
   */
  public TFEstimator addProgressListener(ProgressListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("Invalid progress listener: null");
    }
    listeners().add(listener);
    return this;
  }

  /** Stops calling {@code listener} from later fits. */
  public TFEstimator removeProgressListener(ProgressListener listener) {
    listeners().remove(listener);
    return this;
  }

  private synchronized List<ProgressListener> listeners() {
    if (progressListeners == null) {
      progressListeners = new CopyOnWriteArrayList<>();
    }
    return progressListeners;
  }

  private <T> TFEstimator with(Param<T> param, T value) {
    set(param, value);
    return this;
  }

  public TFEstimator setExportDir(String v) {
    return with(exportDir(), v);
  }

  public TFEstimator setSignatureDefKey(String v) {
    return with(signatureDefKey(), v);
  }

  public TFEstimator setTagSet(String v) {
    return with(tagSet(), v);
  }

  public TFEstimator setInputMapping(Map<String, String> v) {
    return with(inputMapping(), new LinkedHashMap<>(v));
  }

  /** {@link #setInputMapping(Map)} for Scala: {@code setInputMapping(Map("col" -> "input"))}. */
  public TFEstimator setInputMapping(scala.collection.Map<String, String> v) {
    return setInputMapping(MappingParam.fromScala(v));
  }

  /** {@link #setOutputMapping(Map)} for Scala: {@code setOutputMapping(Map("output" -> "col"))}. */
  public TFEstimator setOutputMapping(scala.collection.Map<String, String> v) {
    return setOutputMapping(MappingParam.fromScala(v));
  }

  public TFEstimator setOutputMapping(Map<String, String> v) {
    return with(outputMapping(), new LinkedHashMap<>(v));
  }

  public TFEstimator setBatchSize(int v) {
    return with(batchSize(), v);
  }

  public TFEstimator setLabelCol(String v) {
    return with(labelCol(), v);
  }

  public TFEstimator setEpochs(int v) {
    return with(epochs(), v);
  }

  public TFEstimator setSteps(long v) {
    return with(steps(), v);
  }

  public TFEstimator setClusterSize(int v) {
    return with(clusterSize(), v);
  }

  public TFEstimator setNumPs(int v) {
    return with(numPs(), v);
  }

  public TFEstimator setModelDir(String v) {
    return with(modelDir(), v);
  }

  public TFEstimator setTensorboard(boolean v) {
    return with(tensorboard(), v);
  }

  public TFEstimator setSummarySteps(int v) {
    return with(summarySteps(), v);
  }

  public TFEstimator setOptimizer(String v) {
    return with(optimizer(), v);
  }

  /** See {@link EstimatorParams#tableShards()}. */
  public TFEstimator setTableShards(int v) {
    return with(tableShards(), v);
  }

  public TFEstimator setLearningRate(float v) {
    return with(learningRate(), v);
  }

  public TFEstimator setSyncReplicas(boolean v) {
    return with(syncReplicas(), v);
  }

  public TFEstimator setFeedTimeout(long seconds) {
    return with(feedTimeout(), seconds);
  }

  public TFEstimator setNodeWaitTimeout(long seconds) {
    return with(nodeWaitTimeout(), seconds);
  }

  public TFEstimator setShutdownTimeout(long seconds) {
    return with(shutdownTimeout(), seconds);
  }

  public TFEstimator setMaxRestarts(int v) {
    return with(maxRestarts(), v);
  }

  public TFEstimator setNodeLivenessTimeout(long seconds) {
    return with(nodeLivenessTimeout(), seconds);
  }

  public TFEstimator setProgressInterval(long seconds) {
    return with(progressInterval(), seconds);
  }

  /** JVM options of the node processes, e.g. "-Xmx4g -XX:+UseG1GC". */
  public TFEstimator setNodeJavaOptions(String options) {
    return with(nodeJavaOptions(), options);
  }

  public TFEstimator setCheckpointInterval(long v) {
    return with(checkpointInterval(), v);
  }

  public TFEstimator setCheckpointsToKeep(int v) {
    return with(checkpointsToKeep(), v);
  }

  public TFEstimator setSeed(long v) {
    return with(seed(), v);
  }

  /** SPARK (rows fed by the fit job) or TENSORFLOW (workers read TFRecords written by fit). */
  public TFEstimator setInputMode(String v) {
    return with(inputMode(), v);
  }

  public TFEstimator setInputMode(InputMode v) {
    return setInputMode(v.name());
  }

  public TFEstimator setTfrecordDir(String v) {
    return with(tfrecordDir(), v);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    requireSet(inputMapping(), "setInputMapping(column -> input)");
    requireSet(outputMapping(), "setOutputMapping(output -> column)");
    requireSet(exportDir(), "setExportDir(...)");
    requireSet(modelDir(), "setModelDir(...)");
    FeedSchema.of(schema, List.copyOf(getInputMapping().keySet()));
    ModelSchemas.requireNumeric(schema, "labelCol", getLabelCol());
    if (getNumPs() == 0 && getClusterSize() > 1) {
      // Without a parameter server each worker's variables live on itself: every worker would
      // train a model of its own, and the others would wait in vain for the chief to initialize
      // theirs.
      throw new IllegalArgumentException(
          "Invalid numPs: "
              + getClusterSize()
              + " workers without a parameter server would each train a separate model; set"
              + " setNumPs(1) or more to share the variables, or setClusterSize(1)");
    }
    if (getNumPs() >= getClusterSize()) {
      throw new IllegalArgumentException(
          "Invalid numPs: "
              + getNumPs()
              + " parameter server(s) in a cluster of "
              + getClusterSize()
              + " leave no worker; set clusterSize to at least numPs + 1");
    }
    if (getSyncReplicas() && getSteps() == 0) {
      throw new IllegalArgumentException(
          "Invalid syncReplicas: synchronous training needs setSteps(n), so every worker runs the same number of steps");
    }
    StructType outputs =
        ModelSchemas.outputSchema(
            modelFunction, schema, getInputMapping(), getOutputMapping(), getSeed());
    return schema.merge(outputs, true);
  }

  @Override
  public TFModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    Directories.requireAbsent(
        getExportDir(),
        spark.sparkContext().hadoopConfiguration(),
        "exportDir",
        "export to a new directory");
    Column[] columns =
        Stream.concat(getInputMapping().keySet().stream(), Stream.of(getLabelCol()))
            .distinct()
            .map(dataset::col)
            .toArray(Column[]::new);
    Dataset<Row> selected = dataset.select(columns).toDF();
    NodeConfig.Builder config = nodeConfig(dataset.schema());
    InputMode mode = getInputMode();
    if (mode == InputMode.TENSORFLOW) {
      RecordStaging.stage(
          selected,
          getTfrecordDir(),
          getClusterSize() - getNumPs(),
          getInputMapping().keySet(),
          config);
    }
    TFCluster.Builder builder =
        TFCluster.builder(spark)
            .numExecutors(getClusterSize())
            .numPs(getNumPs())
            .inputMode(mode)
            .modelDir(getModelDir())
            .feedTimeout(Duration.ofSeconds(getFeedTimeout()))
            .shutdownTimeout(Duration.ofSeconds(getShutdownTimeout()))
            .maxRestarts(getMaxRestarts())
            .nodeJavaOptions(getNodeJavaOptions().trim().split("\\s+"));
    if (getNodeLivenessTimeout() > 0) {
      builder.nodeLivenessTimeout(Duration.ofSeconds(getNodeLivenessTimeout()));
    }
    if (getProgressInterval() >= 0) {
      builder.progressInterval(Duration.ofSeconds(getProgressInterval()));
    }
    try (TFCluster cluster = builder.run(new EstimatorNode(config.build()))) {
      listeners().forEach(cluster::addProgressListener);
      if (mode == InputMode.SPARK) {
        cluster.train(selected, getEpochs());
      }
      cluster.shutdown();
    }
    TFModel model =
        new TFModel(uid())
            .setExportDir(getExportDir())
            .setSignatureDefKey(getSignatureDefKey())
            .setTagSet(getTagSet())
            .setInputMapping(getInputMapping())
            .setOutputMapping(getOutputMapping())
            .setBatchSize(getBatchSize());
    return model.setParent(this);
  }

  /** What the nodes need to train and export, from the Params and the training columns' types. */
  private NodeConfig.Builder nodeConfig(StructType schema) {
    Map<String, Integer> inputRanks = new LinkedHashMap<>();
    getInputMapping()
        .forEach(
            (column, input) ->
                inputRanks.put(input, ModelSchemas.rank(schema.apply(column).dataType())));
    return NodeConfig.builder()
        .model(modelFunction)
        .inputMapping(getInputMapping())
        .inputRanks(inputRanks)
        .labelCol(getLabelCol())
        .classLabel(ModelSchemas.isIntegral(schema.apply(getLabelCol()).dataType()))
        .batchSize(getBatchSize())
        .steps(getSteps())
        .epochs(getEpochs())
        .optimizer(getOptimizer())
        .tableShards(getTableShards())
        .learningRate(getLearningRate())
        .syncReplicas(getSyncReplicas())
        .checkpointInterval(getCheckpointInterval())
        .checkpointsToKeep(getCheckpointsToKeep())
        .summarySteps(getSummarySteps())
        .nodeWaitTimeout(Duration.ofSeconds(getNodeWaitTimeout()))
        .seed(getSeed())
        .tensorboard(getTensorboard())
        .exportDir(getExportDir())
        .signatureDefKey(getSignatureDefKey())
        .tags(List.of(SharedParams.tags(getTagSet())));
  }

  private void requireSet(Param<?> param, String fix) {
    if (!isDefined(param)) {
      throw new IllegalArgumentException(
          "Invalid TFEstimator: " + param.name() + " is not set; call " + fix);
    }
  }

  @Override
  public TFEstimator copy(ParamMap extra) {
    return copyValues(new TFEstimator(uid(), modelFunction), extra);
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<TFEstimator> read() {
    return new Reader();
  }

  public static TFEstimator load(String path) {
    return read().load(path);
  }

  /** Params as metadata, the model function Java-serialized under {@code path/data}. */
  private static final class Writer extends MLWriter {
    private final TFEstimator estimator;

    Writer(TFEstimator estimator) {
      this.estimator = estimator;
    }

    @Override
    public void saveImpl(String path) {
      // Refused before anything is written: a function a new session cannot load.
      byte[] function = ModelFunctionStore.serialize(estimator.modelFunction, path);
      DefaultParamsWriter$.MODULE$.saveMetadata(
          estimator, path, sc(), Option.empty(), Option.empty());
      ModelFunctionStore.save(
          function, new Path(path, MODEL_FUNCTION_FILE), sc().hadoopConfiguration());
    }
  }

  /** Reads the model function through a filter: see {@link ModelFunctionStore#load}. */
  private static final class Reader extends MLReader<TFEstimator> {
    @Override
    public TFEstimator load(String path) {
      DefaultParamsReader.Metadata metadata =
          DefaultParamsReader.loadMetadata(path, sc(), TFEstimator.class.getName());
      ModelFunction function =
          ModelFunctionStore.load(
              new Path(path, MODEL_FUNCTION_FILE),
              sc().hadoopConfiguration(),
              sparkSession().conf().get(ModelFunctionStore.ALLOWED_CLASSES_CONF, ""));
      TFEstimator estimator = new TFEstimator(metadata.uid(), function);
      metadata.getAndSetParams(estimator, Option.empty());
      return estimator;
    }
  }
}
