package org.sparktf.ml;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.sparktf.core.InputMode;
import org.sparktf.core.TFCluster;
import org.sparktf.core.columnar.FeedSchema;
import org.sparktf.ml.internal.EstimatorNode;
import org.sparktf.ml.internal.SavedModelSignature;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelFunction;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
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
 * <p>Saving a TFEstimator stores its Params and its model function, Java-serialized (as Spark ships
 * closures): loading it needs the function's classes on the classpath.
 */
public class TFEstimator extends Estimator<TFModel> implements TFModelParams, MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final ModelFunction modelFunction;
  private final Param<String> labelCol;
  private final IntParam epochs;
  private final LongParam steps;
  private final IntParam clusterSize;
  private final IntParam numPs;
  private final Param<String> modelDir;
  private final BooleanParam tensorboard;
  private final Param<String> optimizer;
  private final FloatParam learningRate;
  private final BooleanParam syncReplicas;
  private final LongParam feedTimeout;
  private final Param<String> nodeJavaOptions;
  private final LongParam checkpointInterval;
  private final LongParam seed;
  private final Param<String> inputMode;
  private final Param<String> tfrecordDir;

  public TFEstimator(ModelFunction modelFunction) {
    this("TFEstimator_" + UUID.randomUUID().toString().substring(0, 12), modelFunction);
  }

  public TFEstimator(String uid, ModelFunction modelFunction) {
    this.uid = uid;
    this.modelFunction = modelFunction;
    this.exportDirParam =
        new Param<>(
            this,
            "exportDir",
            "The SavedModel directory the chief exports to, a Hadoop FileSystem URI; must not exist. Default: none (required).",
            TFModel.<String>nonEmpty());
    this.signatureDefKeyParam =
        new Param<>(
            this,
            "signatureDefKey",
            "The exported signature. Default: \"serving_default\".",
            TFModel.<String>nonEmpty());
    this.tagSetParam =
        new Param<>(
            this,
            "tagSet",
            "The exported tag set. Default: \"serve\".",
            TFModel.<String>nonEmpty());
    this.inputMappingParam =
        new MappingParam(
            this, "inputMapping", "Input column to model input name. Default: none (required).");
    this.outputMappingParam =
        new MappingParam(
            this,
            "outputMapping",
            "Model output name to output column of the fitted TFModel. Default: none (required).");
    this.batchSizeParam =
        new IntParam(
            this,
            "batchSize",
            "Rows per training step (and per inference run). Default: 128.",
            ParamValidators.gtEq(1));
    this.labelCol =
        new Param<>(
            this,
            "labelCol",
            "The label column (numeric). Default: \"label\".",
            TFModel.<String>nonEmpty());
    this.epochs =
        new IntParam(this, "epochs", "Passes over the data. Default: 1.", ParamValidators.gtEq(1));
    this.steps =
        new LongParam(
            this,
            "steps",
            "Stop after this many global steps; 0 runs every epoch. Default: 0.",
            ParamValidators.gtEq(0));
    this.clusterSize =
        new IntParam(
            this,
            "clusterSize",
            "TensorFlow nodes, one per executor. Default: 1.",
            ParamValidators.gtEq(1));
    this.numPs =
        new IntParam(
            this,
            "numPs",
            "Parameter servers among the nodes. Default: 0.",
            ParamValidators.gtEq(0));
    this.modelDir =
        new Param<>(
            this,
            "modelDir",
            "Checkpoints and TensorBoard logs, a Hadoop FileSystem URI. Default: none (required).",
            TFModel.<String>nonEmpty());
    this.tensorboard =
        new BooleanParam(
            this, "tensorboard", "Write loss and steps/sec for TensorBoard. Default: true.");
    this.optimizer =
        new Param<>(
            this,
            "optimizer",
            "sgd, adam or adagrad. Default: \"sgd\".",
            ParamValidators.inArray(new String[] {"sgd", "adam", "adagrad"}));
    this.learningRate =
        new FloatParam(
            this,
            "learningRate",
            "The optimizer's learning rate. Default: 0.01.",
            ParamValidators.gt(0));
    this.syncReplicas =
        new BooleanParam(
            this,
            "syncReplicas",
            "Average one gradient per worker per update (needs steps). Default: false.");
    this.feedTimeout =
        new LongParam(
            this,
            "feedTimeout",
            "Seconds a feeding task waits for a worker. Default: 600.",
            ParamValidators.gtEq(1));
    this.nodeJavaOptions =
        new Param<>(
            this,
            "nodeJavaOptions",
            "JVM options of the TensorFlow node processes, separated by spaces, each starting with"
                + " '-' (heap: -Xmx; the executor's memoryOverhead must cover it). Default:"
                + " \"-Xmx1g\".",
            (scala.Function1<String, Object>) TFEstimator::validJavaOptions);
    this.checkpointInterval =
        new LongParam(
            this,
            "checkpointInterval",
            "Global steps between checkpoints. Default: 1000.",
            ParamValidators.gtEq(1));
    this.seed =
        new LongParam(
            this,
            "seed",
            "Seed of initializers and dropout; any long. Default: 42.",
            (scala.Function1<Object, Object>) value -> true);
    this.inputMode =
        new Param<>(
            this,
            "inputMode",
            "SPARK: the fit job feeds the rows to the workers; TENSORFLOW: fit writes the columns as"
                + " TFRecords under tfrecordDir and each worker reads and parses its shard itself."
                + " Default: \"SPARK\".",
            ParamValidators.inArray(new String[] {"SPARK", "TENSORFLOW"}));
    this.tfrecordDir =
        new Param<>(
            this,
            "tfrecordDir",
            "Where inputMode TENSORFLOW writes the training TFRecords, a Hadoop FileSystem URI that"
                + " must not exist. Default: modelDir + \"/tfrecords\".",
            TFModel.<String>nonEmpty());
    setDefault(labelCol, "label");
    setDefault(epochs, 1);
    setDefault(steps, 0L);
    setDefault(clusterSize, 1);
    setDefault(numPs, 0);
    setDefault(tensorboard, true);
    setDefault(optimizer, "sgd");
    setDefault(learningRate, 0.01f);
    setDefault(syncReplicas, false);
    setDefault(feedTimeout, 600L);
    setDefault(nodeJavaOptions, "-Xmx1g");
    setDefault(checkpointInterval, 1000L);
    setDefault(seed, 42L);
    setDefault(inputMode, "SPARK");
    setDefault(signatureDefKey(), "serving_default");
    setDefault(tagSet(), "serve");
    setDefault(batchSize(), 128);
  }

  @Override
  public String uid() {
    return uid;
  }

  // The Params shared with TFModel; created in the constructor, once uid is set.
  private final Param<String> exportDirParam;
  private final Param<String> signatureDefKeyParam;
  private final Param<String> tagSetParam;
  private final MappingParam inputMappingParam;
  private final MappingParam outputMappingParam;
  private final IntParam batchSizeParam;

  @Override
  public Param<String> exportDir() {
    return exportDirParam;
  }

  @Override
  public Param<String> signatureDefKey() {
    return signatureDefKeyParam;
  }

  @Override
  public Param<String> tagSet() {
    return tagSetParam;
  }

  @Override
  public MappingParam inputMapping() {
    return inputMappingParam;
  }

  @Override
  public MappingParam outputMapping() {
    return outputMappingParam;
  }

  @Override
  public IntParam batchSize() {
    return batchSizeParam;
  }

  public Param<String> labelCol() {
    return labelCol;
  }

  public IntParam epochs() {
    return epochs;
  }

  public LongParam steps() {
    return steps;
  }

  public IntParam clusterSize() {
    return clusterSize;
  }

  public IntParam numPs() {
    return numPs;
  }

  public Param<String> modelDir() {
    return modelDir;
  }

  public BooleanParam tensorboard() {
    return tensorboard;
  }

  public Param<String> optimizer() {
    return optimizer;
  }

  public FloatParam learningRate() {
    return learningRate;
  }

  public BooleanParam syncReplicas() {
    return syncReplicas;
  }

  public LongParam feedTimeout() {
    return feedTimeout;
  }

  public Param<String> nodeJavaOptions() {
    return nodeJavaOptions;
  }

  public LongParam checkpointInterval() {
    return checkpointInterval;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> inputMode() {
    return inputMode;
  }

  public Param<String> tfrecordDir() {
    return tfrecordDir;
  }

  /** SPARK (rows fed by the fit job) or TENSORFLOW (workers read TFRecords written by fit). */
  public TFEstimator setInputMode(String v) {
    set(inputMode, v);
    return this;
  }

  public TFEstimator setInputMode(InputMode v) {
    return setInputMode(v.name());
  }

  public TFEstimator setTfrecordDir(String v) {
    set(tfrecordDir, v);
    return this;
  }

  public TFEstimator setExportDir(String v) {
    set(exportDirParam, v);
    return this;
  }

  public TFEstimator setInputMapping(Map<String, String> v) {
    set(inputMappingParam, new LinkedHashMap<>(v));
    return this;
  }

  public TFEstimator setOutputMapping(Map<String, String> v) {
    set(outputMappingParam, new LinkedHashMap<>(v));
    return this;
  }

  public TFEstimator setBatchSize(int v) {
    set(batchSizeParam, v);
    return this;
  }

  public TFEstimator setLabelCol(String v) {
    set(labelCol, v);
    return this;
  }

  public TFEstimator setEpochs(int v) {
    set(epochs, v);
    return this;
  }

  public TFEstimator setSteps(long v) {
    set(steps, v);
    return this;
  }

  public TFEstimator setClusterSize(int v) {
    set(clusterSize, v);
    return this;
  }

  public TFEstimator setNumPs(int v) {
    set(numPs, v);
    return this;
  }

  public TFEstimator setModelDir(String v) {
    set(modelDir, v);
    return this;
  }

  public TFEstimator setTensorboard(boolean v) {
    set(tensorboard, v);
    return this;
  }

  public TFEstimator setOptimizer(String v) {
    set(optimizer, v);
    return this;
  }

  public TFEstimator setLearningRate(float v) {
    set(learningRate, v);
    return this;
  }

  public TFEstimator setSyncReplicas(boolean v) {
    set(syncReplicas, v);
    return this;
  }

  public TFEstimator setFeedTimeout(long seconds) {
    set(feedTimeout, seconds);
    return this;
  }

  /** JVM options of the node processes, e.g. "-Xmx4g -XX:+UseG1GC". */
  public TFEstimator setNodeJavaOptions(String options) {
    set(nodeJavaOptions, options);
    return this;
  }

  public TFEstimator setCheckpointInterval(long v) {
    set(checkpointInterval, v);
    return this;
  }

  public TFEstimator setSeed(long v) {
    set(seed, v);
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    requireSet(inputMappingParam, "setInputMapping(column -> input)");
    requireSet(outputMappingParam, "setOutputMapping(output -> column)");
    requireSet(exportDirParam, "setExportDir(...)");
    requireSet(modelDir, "setModelDir(...)");
    FeedSchema.of(schema, List.copyOf(getInputMapping().keySet()));
    String label = getOrDefault(labelCol);
    if (!Arrays.asList(schema.fieldNames()).contains(label)) {
      throw new IllegalArgumentException(
          "Invalid labelCol: no column '"
              + label
              + "'; available: "
              + String.join(", ", schema.fieldNames()));
    }
    if (!(schema.apply(label).dataType() instanceof NumericType)) {
      throw new IllegalArgumentException(
          "Invalid labelCol: '"
              + label
              + "' is "
              + schema.apply(label).dataType().simpleString()
              + "; it must be numeric");
    }
    if ((Boolean) getOrDefault(syncReplicas) && (Long) getOrDefault(steps) == 0) {
      throw new IllegalArgumentException(
          "Invalid syncReplicas: synchronous training needs setSteps(n), so every worker runs the same number of steps");
    }
    return schema.merge(outputSchema(schema), true);
  }

  /**
   * The output columns, typed by building the serving graph on the driver (no session, no data):
   * this also checks the model function and the output mapping before any cluster starts.
   */
  private StructType outputSchema(StructType schema) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Map<String, Operand<TFloat32>> inputs = new LinkedHashMap<>();
      getInputMapping()
          .forEach(
              (column, input) ->
                  inputs.put(
                      input,
                      tf.withName(input)
                          .placeholder(
                              TFloat32.class,
                              Placeholder.shape(
                                  rank(schema.apply(column).dataType()) == 1
                                      ? Shape.of(-1)
                                      : Shape.of(-1, -1)))));
      ModelOutputs outputs =
          modelFunction.build(
              new ModelBuilder(tf, tf, inputs, null, i -> null, false, (Long) getOrDefault(seed)));
      StructType out = new StructType();
      for (Map.Entry<String, String> entry : getOutputMapping().entrySet()) {
        Operand<?> output = outputs.outputs().get(entry.getKey());
        if (output == null) {
          throw new IllegalArgumentException(
              "Invalid outputMapping: "
                  + entry.getKey()
                  + " -> "
                  + entry.getValue()
                  + "; the model's outputs are "
                  + outputs.outputs().keySet());
        }
        if (Arrays.asList(schema.fieldNames()).contains(entry.getValue())) {
          throw new IllegalArgumentException(
              "Invalid outputMapping: output column " + entry.getValue() + " already exists");
        }
        int rank = output.shape().isUnknown() ? 1 : output.shape().numDimensions();
        out =
            out.add(
                entry.getValue(),
                SavedModelSignature.sparkType(entry.getKey(), output.asOutput().dataType(), rank),
                false);
      }
      return out;
    }
  }

  @Override
  public TFModel fit(Dataset<?> dataset) {
    StructType schema = dataset.schema();
    transformSchema(schema);
    SparkSession spark = dataset.sparkSession();
    Path export = new Path(getExportDir());
    try {
      if (export.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(export)) {
        throw new IllegalArgumentException(
            "Invalid exportDir: " + export + " already exists; export to a new directory");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "Cannot check exportDir " + export + ": " + e.getMessage(), e);
    }
    EstimatorNode.Config config = new EstimatorNode.Config();
    config.model = modelFunction;
    config.inputMapping = new LinkedHashMap<>(getInputMapping());
    config.inputRanks = new LinkedHashMap<>();
    getInputMapping()
        .forEach(
            (column, input) -> config.inputRanks.put(input, rank(schema.apply(column).dataType())));
    config.labelCol = getOrDefault(labelCol);
    DataType labelType = schema.apply(config.labelCol).dataType();
    config.classLabel =
        labelType.equals(DataTypes.IntegerType)
            || labelType.equals(DataTypes.LongType)
            || labelType.equals(DataTypes.ShortType)
            || labelType.equals(DataTypes.ByteType);
    config.batchSize = getBatchSize();
    config.steps = (Long) getOrDefault(steps);
    config.optimizer = getOrDefault(optimizer);
    config.learningRate = (Float) getOrDefault(learningRate);
    config.syncReplicas = (Boolean) getOrDefault(syncReplicas);
    config.checkpointInterval = (Long) getOrDefault(checkpointInterval);
    config.seed = (Long) getOrDefault(seed);
    config.exportDir = getExportDir();
    config.tensorboard = (Boolean) getOrDefault(tensorboard);
    Column[] columns =
        java.util.stream.Stream.concat(
                getInputMapping().keySet().stream(), java.util.stream.Stream.of(config.labelCol))
            .distinct()
            .map(dataset::col)
            .toArray(Column[]::new);
    config.epochs = (Integer) getOrDefault(epochs);
    Dataset<Row> selected = dataset.select(columns).toDF();
    InputMode mode = InputMode.valueOf(getOrDefault(inputMode));
    if (mode == InputMode.TENSORFLOW) {
      config.tfrecordDir = writeRecords(selected, spark);
      config.columnWidths = widths(selected, config.inputMapping.keySet());
      config.integralColumns = new java.util.HashSet<>();
      for (org.apache.spark.sql.types.StructField field : selected.schema().fields()) {
        if (integral(field.dataType())) {
          config.integralColumns.add(field.name());
        }
      }
    }
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors((Integer) getOrDefault(clusterSize))
            .numPs((Integer) getOrDefault(numPs))
            .inputMode(mode)
            .modelDir(getOrDefault(modelDir))
            .feedTimeout(java.time.Duration.ofSeconds((Long) getOrDefault(feedTimeout)))
            .nodeJavaOptions(getOrDefault(nodeJavaOptions).trim().split("\\s+"))
            .run(new EstimatorNode(config))) {
      if (mode == InputMode.SPARK) {
        cluster.train(selected, config.epochs);
      }
      cluster.shutdown();
    }
    Map<String, String> inputs = new LinkedHashMap<>(getInputMapping());
    TFModel model =
        new TFModel(uid)
            .setExportDir(getExportDir())
            .setInputMapping(inputs)
            .setOutputMapping(getOutputMapping())
            .setBatchSize(getBatchSize());
    return model.setParent(this);
  }

  private static boolean validJavaOptions(String options) {
    String trimmed = options == null ? "" : options.trim();
    return !trimmed.isEmpty()
        && java.util.Arrays.stream(trimmed.split("\\s+")).allMatch(o -> o.startsWith("-"));
  }

  @Override
  public TFEstimator copy(ParamMap extra) {
    TFEstimator copy = new TFEstimator(uid, modelFunction);
    return copyValues(copy, extra);
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
      DefaultParamsWriter$.MODULE$.saveMetadata(
          estimator, path, sc(), Option.empty(), Option.empty());
      Path file = new Path(path, "data/modelFunction.ser");
      try (java.io.ObjectOutputStream out =
          new java.io.ObjectOutputStream(
              file.getFileSystem(sc().hadoopConfiguration()).create(file, false))) {
        out.writeObject(estimator.modelFunction);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(
            "Cannot save the model function to " + file + ": " + e.getMessage(), e);
      }
    }
  }

  private static final class Reader extends MLReader<TFEstimator> {
    @Override
    public TFEstimator load(String path) {
      DefaultParamsReader.Metadata metadata =
          DefaultParamsReader.loadMetadata(path, sc(), TFEstimator.class.getName());
      Path file = new Path(path, "data/modelFunction.ser");
      ModelFunction function;
      try (java.io.ObjectInputStream in =
          new java.io.ObjectInputStream(
              file.getFileSystem(sc().hadoopConfiguration()).open(file))) {
        function = (ModelFunction) in.readObject();
      } catch (java.io.IOException | ClassNotFoundException e) {
        throw new IllegalStateException(
            "Cannot load the model function from "
                + file
                + " ("
                + e
                + "); its classes must be on the classpath",
            e);
      }
      TFEstimator estimator = new TFEstimator(metadata.uid(), function);
      metadata.getAndSetParams(estimator, Option.empty());
      return estimator;
    }
  }

  /** Writes the fed columns as tf.train.Example TFRecords, one file per worker; returns the dir. */
  private String writeRecords(Dataset<Row> selected, SparkSession spark) {
    String dir =
        isDefined(tfrecordDir)
            ? getOrDefault(tfrecordDir)
            : new Path(getOrDefault(modelDir), "tfrecords").toString();
    Path path = new Path(dir);
    try {
      if (path.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(path)) {
        throw new IllegalArgumentException(
            "Invalid tfrecordDir: "
                + dir
                + " already exists; choose a new directory with setTfrecordDir(...) or a new"
                + " modelDir");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "Cannot check tfrecordDir " + dir + ": " + e.getMessage(), e);
    }
    int workers = (Integer) getOrDefault(clusterSize) - (Integer) getOrDefault(numPs);
    selected
        .select(denseColumns(selected))
        .repartition(Math.max(1, workers))
        .write()
        .format("tfrecord")
        .option("recordType", "Example")
        .save(dir);
    return dir;
  }

  /** Vectors as float arrays, so every record holds dense float_list features. */
  private static Column[] denseColumns(Dataset<Row> selected) {
    return java.util.Arrays.stream(selected.schema().fields())
        .map(
            f ->
                f.dataType() instanceof org.apache.spark.ml.linalg.VectorUDT
                    ? org.apache
                        .spark
                        .ml
                        .functions
                        .vector_to_array(selected.col(f.name()), "float32")
                        .as(f.name())
                    : selected.col(f.name()))
        .toArray(Column[]::new);
  }

  /** Values per row of each fed column, from the first row (1 for scalars). */
  private static Map<String, Integer> widths(Dataset<Row> selected, java.util.Set<String> fed) {
    Map<String, Integer> widths = new LinkedHashMap<>();
    List<Row> first = selected.limit(1).collectAsList();
    if (first.isEmpty()) {
      throw new IllegalArgumentException("Cannot fit: the training DataFrame has no rows");
    }
    Row row = first.get(0);
    for (String column : fed) {
      Object value = row.get(row.fieldIndex(column));
      if (value instanceof org.apache.spark.ml.linalg.Vector) {
        widths.put(column, ((org.apache.spark.ml.linalg.Vector) value).size());
      } else if (value instanceof scala.collection.Seq) {
        widths.put(column, ((scala.collection.Seq<?>) value).size());
      } else {
        widths.put(column, 1);
      }
    }
    return widths;
  }

  private static boolean integral(DataType type) {
    DataType element = type instanceof ArrayType ? ((ArrayType) type).elementType() : type;
    return element.equals(DataTypes.IntegerType)
        || element.equals(DataTypes.LongType)
        || element.equals(DataTypes.ShortType)
        || element.equals(DataTypes.ByteType)
        || element.equals(DataTypes.BooleanType);
  }

  private static int rank(DataType type) {
    return type instanceof ArrayType || type instanceof org.apache.spark.ml.linalg.VectorUDT
        ? 2
        : 1;
  }

  private void requireSet(Param<?> param, String fix) {
    if (!isDefined(param)) {
      throw new IllegalArgumentException(
          "Invalid TFEstimator: " + param.name() + " is not set; call " + fix);
    }
  }
}
