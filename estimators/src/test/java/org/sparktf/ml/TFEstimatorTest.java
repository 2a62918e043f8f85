package org.sparktf.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.InputMode;
import org.sparktf.core.Leaks;
import org.sparktf.core.TestSpark;
import org.sparktf.core.TrainingProgress;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelFunction;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.Event;
import org.tensorflow.types.TFloat32;

class TFEstimatorTest {
  private static SparkSession spark;
  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("TFEstimatorTest", 3);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  /** Softmax classifier: 4 features, one hidden layer, 2 classes. */
  static ModelOutputs classifier(ModelBuilder model) {
    var tf = model.tf();
    Operand<TFloat32> hidden = Layers.dense(model, "hidden", model.input("features"), 4, 16, true);
    Operand<TFloat32> logits = Layers.dense(model, "logits", hidden, 16, 2, false);
    Operand<TFloat32> loss =
        model.training()
            ? Layers.softmaxCrossEntropy(model, logits, model.labelAsClasses(), 2)
            : null;
    return ModelOutputs.of(
        loss,
        Map.of(
            "probabilities",
            tf.nn.softmax(logits),
            "class",
            tf.math.argMax(logits, tf.constant(1))));
  }

  /** The classifier, on nodes that must have been started with the test's JVM option. */
  static ModelOutputs classifierOnConfiguredNodes(ModelBuilder model) {
    if (model.training() && !"seen".equals(System.getProperty("sparktf.test.nodeOptions"))) {
      throw new IllegalStateException(
          "Cannot train: the node JVM lacks -Dsparktf.test.nodeOptions");
    }
    return classifier(model);
  }

  /** The classifier, on a node JVM that halts the first time it builds the training graph. */
  static final class DiesOnce implements ModelFunction {
    private static final long serialVersionUID = 1L;
    private final String marker;

    DiesOnce(String marker) {
      this.marker = marker;
    }

    @Override
    public ModelOutputs build(ModelBuilder model) {
      if (model.training()) {
        try {
          Files.createFile(Path.of(marker));
          Runtime.getRuntime().halt(1);
        } catch (FileAlreadyExistsException e) {
          // The restarted node: train.
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return classifier(model);
    }
  }

  /** Freezes its own node process (SIGSTOP) when it builds the training graph. */
  static final class FreezesItsNode implements ModelFunction {
    private static final long serialVersionUID = 1L;

    @Override
    public ModelOutputs build(ModelBuilder model) {
      if (model.training()) {
        try {
          new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid()))
              .inheritIO()
              .start()
              .waitFor();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return classifier(model);
    }
  }

  /** The classifier as a model function class that carries some state. */
  static final class ClassifierWith implements ModelFunction {
    private static final long serialVersionUID = 1L;
    private final Object state;

    ClassifierWith(Object state) {
      this.state = state;
    }

    @Override
    public ModelOutputs build(ModelBuilder model) {
      return classifier(model);
    }
  }

  /** A user class a model function may hold, once the application admits it. */
  static final class LayerSizes implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int[] sizes = {4, 16, 2};
  }

  /** Not a model function: its readObject leaves a file behind, so a test sees whether it ran. */
  static final class LeavesAFile implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String path;

    LeavesAFile(String path) {
      this.path = path;
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      Files.writeString(Path.of(path), "readObject ran");
    }
  }

  /** Four raw columns; the label is 1 when a + 2b > 0. */
  private static Dataset<Row> data(long seed) {
    return data(seed, 4000);
  }

  private static Dataset<Row> data(long seed, int rows) {
    return spark
        .range(0, rows, 1, 6)
        .selectExpr(
            "randn(" + seed + ") * 3 AS a",
            "randn(" + (seed + 1) + ") AS b",
            "randn(" + (seed + 2) + ") AS c",
            "rand(" + (seed + 3) + ") AS d")
        .selectExpr("*", "CAST(IF(a + 2 * b > 0, 1, 0) AS INT) AS label");
  }

  private TFEstimator estimator(String name, int clusterSize, int numPs) {
    return estimator(name, clusterSize, numPs, TFEstimatorTest::classifier);
  }

  private TFEstimator estimator(String name, int clusterSize, int numPs, ModelFunction model) {
    return new TFEstimator(model)
        .setInputMapping(Map.of("features", "features"))
        .setOutputMapping(Map.of("class", "prediction", "probabilities", "probability"))
        .setLabelCol("label")
        .setClusterSize(clusterSize)
        .setNumPs(numPs)
        .setEpochs(4)
        .setBatchSize(50)
        .setLearningRate(0.2f)
        .setModelDir(dir.resolve(name).toUri().toString())
        .setExportDir(dir.resolve(name + "-export").toUri().toString());
  }

  private static PipelineStage[] stages(TFEstimator estimator) {
    return new PipelineStage[] {
      new VectorAssembler().setInputCols(new String[] {"a", "b", "c", "d"}).setOutputCol("raw"),
      new StandardScaler().setInputCol("raw").setOutputCol("features"),
      estimator
    };
  }

  private static double accuracy(Dataset<Row> scored) {
    List<Row> rows = scored.select("label", "prediction").collectAsList();
    long right = rows.stream().filter(r -> r.getInt(0) == r.getLong(1)).count();
    return (double) right / rows.size();
  }

  @Test
  void aPipelineTrainedOnOnePsAndTwoWorkersMatchesLocalTrainingAndSurvivesSaveAndLoad()
      throws Exception {
    Dataset<Row> train = data(1).cache();
    Dataset<Row> test = data(100);
    TFEstimator onNodes =
        estimator("dist", 3, 1, TFEstimatorTest::classifierOnConfiguredNodes)
            .setNodeJavaOptions("-Xmx512m -Dsparktf.test.nodeOptions=seen");
    PipelineModel distributed = new Pipeline().setStages(stages(onNodes)).fit(train);
    PipelineModel local = new Pipeline().setStages(stages(estimator("local", 1, 0))).fit(train);
    double distributedAccuracy = accuracy(distributed.transform(test));
    double localAccuracy = accuracy(local.transform(test));
    assertThat(distributedAccuracy).isGreaterThan(0.95);
    assertThat(distributedAccuracy).isGreaterThan(localAccuracy - 0.02);

    String path = dir.resolve("pipeline").toString();
    distributed.write().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    List<Row> before =
        distributed.transform(test).select("prediction", "probability").collectAsList();
    List<Row> after = loaded.transform(test).select("prediction", "probability").collectAsList();
    assertThat(after).isEqualTo(before);
  }

  @Test
  void tensorFlowInputModeWorkersReadTfRecordsAndTrainAsWellAsSparkFedTraining() throws Exception {
    // 4,200 rows: 2,100 per worker's shard, a multiple of the batch size. A shard that is not ends
    // training with a short batch, one full-rate step on a few rows: with 4,000 rows (shards of
    // 2,001 and 1,999) that last step of 4 rows left 0.94-0.96 test accuracy instead of 0.99,
    // because this classifier's boundary runs through the densest data (docs/cluster.md).
    Dataset<Row> train = data(1, 4200).cache();
    Dataset<Row> test = data(100);
    List<TrainingProgress> recordsProgress = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<TrainingProgress> fedProgress = new java.util.concurrent.CopyOnWriteArrayList<>();
    TFEstimator fromRecords =
        estimator("records", 3, 1)
            .setInputMode("TENSORFLOW")
            .setProgressInterval(1)
            .addProgressListener(recordsProgress::add);
    PipelineModel recordsModel = new Pipeline().setStages(stages(fromRecords)).fit(train);
    PipelineModel fedModel =
        new Pipeline()
            .setStages(stages(estimator("fed", 1, 0).addProgressListener(fedProgress::add)))
            .fit(train);
    // The driver heard the workers' steps in both input modes, through the estimator's listeners.
    for (List<TrainingProgress> events : List.of(recordsProgress, fedProgress)) {
      assertThat(events).isNotEmpty();
      TrainingProgress last = events.get(events.size() - 1);
      assertThat(last.event()).isEqualTo(TrainingProgress.Event.FINISHED);
      assertThat(last.globalStep()).isPositive();
      assertThat(last.workers()).isNotEmpty().allMatch(w -> w.steps() > 0);
      assertThat(events.stream().mapToLong(TrainingProgress::globalStep).toArray()).isSorted();
    }
    // Every worker read all its records, in full batches (TFRecordBatchesTest shows that batches
    // run on across files and epochs).
    for (TrainingProgress.Worker w : recordsProgress.get(recordsProgress.size() - 1).workers()) {
      assertThat(w.examples()).isGreaterThan(0);
      assertThat(w.steps()).isEqualTo((w.examples() + 49) / 50);
    }
    assertThat(fedProgress.get(fedProgress.size() - 1).rowsFed())
        .isEqualTo(train.count() * estimator("fed", 1, 0).getEpochs());
    double recordsAccuracy = accuracy(recordsModel.transform(test));
    double fedAccuracy = accuracy(fedModel.transform(test));
    assertThat(recordsAccuracy).isGreaterThan(0.95);
    assertThat(recordsAccuracy).isGreaterThan(fedAccuracy - 0.02);
    // fit wrote the fed columns under modelDir/tfrecords, one file per worker.
    Path records = dir.resolve("records").resolve("tfrecords");
    try (var files = Files.list(records)) {
      assertThat(files.filter(f -> f.getFileName().toString().startsWith("part-")).count())
          .isEqualTo(2);
    }
    assertThat(
            spark
                .read()
                .format("tfrecord")
                .option("recordType", "Example")
                .load(records.toString())
                .count())
        .isEqualTo(train.count());
    TFEstimator again =
        estimator("records", 3, 1)
            .setInputMode(InputMode.TENSORFLOW)
            .setExportDir(dir.resolve("records-export-2").toUri().toString());
    assertThatThrownBy(() -> new Pipeline().setStages(stages(again)).fit(train))
        .hasMessageContaining("Invalid tfrecordDir: ")
        .hasMessageContaining("already exists");
  }

  @Test
  void everyParamRefusesABadValueAndDocumentsItsDefault() {
    TFEstimator e = estimator("params", 2, 0);
    Map<String, List<Runnable>> bad = new LinkedHashMap<>();
    bad.put("epochs", List.of(() -> e.setEpochs(0)));
    bad.put("steps", List.of(() -> e.setSteps(-1)));
    bad.put("clusterSize", List.of(() -> e.setClusterSize(0)));
    bad.put("numPs", List.of(() -> e.setNumPs(-1)));
    bad.put("batchSize", List.of(() -> e.setBatchSize(0)));
    bad.put("learningRate", List.of(() -> e.setLearningRate(0f)));
    bad.put("feedTimeout", List.of(() -> e.setFeedTimeout(0)));
    bad.put("nodeWaitTimeout", List.of(() -> e.setNodeWaitTimeout(0)));
    bad.put("shutdownTimeout", List.of(() -> e.setShutdownTimeout(0)));
    bad.put("maxRestarts", List.of(() -> e.setMaxRestarts(-1)));
    bad.put("nodeLivenessTimeout", List.of(() -> e.setNodeLivenessTimeout(-1)));
    bad.put("progressInterval", List.of(() -> e.setProgressInterval(-2)));
    bad.put(
        "nodeJavaOptions",
        List.of(() -> e.setNodeJavaOptions("Xmx2g"), () -> e.setNodeJavaOptions(" ")));
    bad.put("checkpointInterval", List.of(() -> e.setCheckpointInterval(0)));
    bad.put("checkpointsToKeep", List.of(() -> e.setCheckpointsToKeep(0)));
    bad.put("summarySteps", List.of(() -> e.setSummarySteps(0)));
    bad.put("tableShards", List.of(() -> e.setTableShards(-1)));
    bad.put("optimizer", List.of(() -> e.setOptimizer("lbfgs")));
    bad.put("inputMode", List.of(() -> e.setInputMode("PANDAS")));
    bad.put("modelDir", List.of(() -> e.setModelDir("")));
    bad.put("exportDir", List.of(() -> e.setExportDir("")));
    bad.put("signatureDefKey", List.of(() -> e.setSignatureDefKey("")));
    bad.put(
        "tagSet",
        List.of(() -> e.setTagSet(""), () -> e.setTagSet("serve, gpu"), () -> e.setTagSet("a,,b")));
    bad.put("tfrecordDir", List.of(() -> e.setTfrecordDir("")));
    bad.put("labelCol", List.of(() -> e.setLabelCol("")));
    bad.put("inputMapping", List.of(() -> e.setInputMapping(Map.of("features", ""))));
    bad.put("outputMapping", List.of(() -> e.setOutputMapping(Map.of("", "x"))));
    bad.forEach(
        (name, setters) ->
            setters.forEach(
                setter ->
                    assertThatThrownBy(setter::run)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("parameter " + name + " given invalid value")));
    // Every Param is found (once) through its public accessor, and the bad values cover them.
    List<String> names = Arrays.stream(e.params()).map(Param::name).collect(Collectors.toList());
    assertThat(names).doesNotHaveDuplicates();
    assertThat(names)
        .containsExactlyInAnyOrderElementsOf(
            Stream.concat(bad.keySet().stream(), Stream.of("tensorboard", "syncReplicas", "seed"))
                .collect(Collectors.toList()));
    for (Param<?> param : e.params()) {
      assertThat(param.doc()).as(param.name()).containsPattern("Default: [^ ].*\\.$");
    }
    // The Params TFModel shares have the same doc and default on both stages.
    TFModel model = new TFModel();
    for (Param<?> param : model.params()) {
      Param<?> same = e.getParam(param.name());
      assertThat(same.doc()).as(param.name()).isEqualTo(param.doc());
      assertThat(e.getDefault(same)).as(param.name()).isEqualTo(model.getDefault(param));
    }
    assertThat(e.getInputMode()).isEqualTo(InputMode.SPARK);
    assertThat(e.getMaxRestarts()).isZero();
    assertThat(e.getNodeLivenessTimeout()).isZero();
    assertThat(e.getShutdownTimeout()).isEqualTo(259_200L);
    assertThat(e.getCheckpointsToKeep()).isEqualTo(3);
    assertThat(e.getSummarySteps()).isEqualTo(50);
    assertThat(e.getNodeWaitTimeout()).isEqualTo(600L);
    assertThat(e.getTfrecordDir()).endsWith("/params/tfrecords");
    assertThat(e.setNodeJavaOptions(" -Xmx512m  -Da=b ").getNodeJavaOptions())
        .isEqualTo(" -Xmx512m  -Da=b ");
  }

  @Test
  void anEstimatorSavesAndLoadsWithItsParamsAndModelFunction() throws Exception {
    TFEstimator estimator =
        estimator("saved", 3, 1)
            .setOptimizer("adam")
            .setSteps(500)
            .setSignatureDefKey("predict")
            .setTagSet("serve,gpu")
            .setMaxRestarts(2)
            .setNodeLivenessTimeout(33)
            .setShutdownTimeout(90)
            .setNodeWaitTimeout(45)
            .setCheckpointsToKeep(7)
            .setSummarySteps(9)
            .setInputMode(InputMode.TENSORFLOW)
            .setTfrecordDir(dir.resolve("records").toUri().toString());
    String path = dir.resolve("estimator").toString();
    estimator.write().save(path);
    TFEstimator loaded = TFEstimator.load(path);
    assertThat(loaded.uid()).isEqualTo(estimator.uid());
    assertThat(loaded.getInputMapping()).isEqualTo(Map.of("features", "features"));
    assertThat(loaded.getOptimizer()).isEqualTo("adam");
    assertThat(loaded.getSteps()).isEqualTo(500L);
    assertThat(loaded.getNumPs()).isEqualTo(1);
    assertThat(loaded.getLearningRate()).isEqualTo(0.2f);
    assertThat(loaded.getSignatureDefKey()).isEqualTo("predict");
    assertThat(loaded.getTagSet()).isEqualTo("serve,gpu");
    assertThat(loaded.getMaxRestarts()).isEqualTo(2);
    assertThat(loaded.getNodeLivenessTimeout()).isEqualTo(33L);
    assertThat(loaded.getShutdownTimeout()).isEqualTo(90L);
    assertThat(loaded.getNodeWaitTimeout()).isEqualTo(45L);
    assertThat(loaded.getCheckpointsToKeep()).isEqualTo(7);
    assertThat(loaded.getSummarySteps()).isEqualTo(9);
    assertThat(loaded.getInputMode()).isEqualTo(InputMode.TENSORFLOW);
    assertThat(loaded.getTfrecordDir()).isEqualTo(estimator.getTfrecordDir());
    // Every Param, set or default, comes back with its value.
    for (Param<?> param : estimator.params()) {
      assertThat(loaded.getOrDefault(loaded.getParam(param.name())))
          .as(param.name())
          .isEqualTo(estimator.getOrDefault(param));
    }
    // The loaded model function is the saved one: it types the same outputs.
    StructType schema =
        new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.FloatType))
            .add("label", DataTypes.IntegerType);
    assertThat(loaded.transformSchema(schema)).isEqualTo(estimator.transformSchema(schema));
  }

  @Test
  void badColumnsAndParamsFailBeforeAnyClusterStarts() {
    Dataset<Row> raw =
        data(1).selectExpr("array(CAST(a AS FLOAT), CAST(b AS FLOAT)) AS features", "label");
    assertThatThrownBy(() -> estimator("x", 2, 1).setLabelCol("y").fit(raw))
        .hasMessageContaining("Invalid labelCol: no column 'y'");
    assertThatThrownBy(
            () -> estimator("x", 2, 1).setInputMapping(Map.of("pixels", "features")).fit(raw))
        .hasMessageContaining("Cannot feed column 'pixels': no such column");
    assertThatThrownBy(() -> estimator("x", 2, 1).setSyncReplicas(true).fit(raw))
        .hasMessageContaining("Invalid syncReplicas: synchronous training needs setSteps(n)");
    // Two workers without a PS would each keep their own variables: the second would wait for
    // the chief to initialize them until its timeout (10 minutes by default).
    assertThatThrownBy(() -> estimator("x", 2, 0).fit(raw))
        .hasMessageContaining("Invalid numPs: 2 workers without a parameter server")
        .hasMessageContaining("setNumPs(1)");
    assertThatThrownBy(() -> estimator("x", 2, 2).fit(raw))
        .hasMessageContaining(
            "Invalid numPs: 2 parameter server(s) in a cluster of 2 leave no worker");
    assertThatThrownBy(() -> estimator("x", 2, 1).setOptimizer("lbfgs"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> estimator("x", 2, 1).setOutputMapping(Map.of("logits", "l")).fit(raw))
        .hasMessageContaining("Invalid outputMapping: logits -> l; the model's outputs are");
    StructType typed = estimator("x", 2, 1).transformSchema(raw.schema());
    assertThat(typed.apply("prediction").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(typed.apply("probability").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThatThrownBy(() -> new TFEstimator(TFEstimatorTest::classifier).fit(raw))
        .hasMessageContaining("Invalid TFEstimator: inputMapping is not set");
  }

  @Test
  void theSignatureKeyTagSetCheckpointAndSummaryParamsReachTheNodesAndTheFittedModel()
      throws Exception {
    TFEstimator estimator =
        estimator("tagged", 1, 0)
            .setEpochs(2)
            .setSignatureDefKey("predict")
            .setTagSet("sparktf,test")
            .setCheckpointInterval(4)
            .setCheckpointsToKeep(1)
            .setSummarySteps(4);
    PipelineModel fitted = new Pipeline().setStages(stages(estimator)).fit(data(1, 800));
    TFModel model = (TFModel) fitted.stages()[2];
    assertThat(model.getSignatureDefKey()).isEqualTo("predict");
    assertThat(model.getTagSet()).isEqualTo("sparktf,test");
    String export = dir.resolve("tagged-export").toString();
    try (SavedModelBundle bundle =
        SavedModelBundle.loader(export).withTags("sparktf", "test").load()) {
      assertThat(bundle.metaGraphDef().getMetaInfoDef().getTagsList())
          .containsExactlyInAnyOrder("sparktf", "test");
      assertThat(bundle.metaGraphDef().getSignatureDefMap())
          .containsKey("predict")
          .doesNotContainKey("serving_default");
    }
    assertThatThrownBy(() -> SavedModelBundle.load(export, SavedModelBundle.DEFAULT_TAG).close())
        .isInstanceOf(RuntimeException.class);
    // The fitted model scores through the "predict" signature of the "sparktf,test" meta graph.
    assertThat(accuracy(fitted.transform(data(100, 400)))).isGreaterThan(0.75);
    // A checkpoint every 4 steps, and only the last one kept.
    List<String> checkpoints;
    try (Stream<Path> files = Files.list(dir.resolve("tagged").resolve("checkpoints"))) {
      checkpoints =
          files
              .map(f -> f.getFileName().toString())
              .filter(f -> f.endsWith(".index"))
              .collect(Collectors.toList());
    }
    assertThat(checkpoints).hasSize(1);
    long lastStep =
        Long.parseLong(checkpoints.get(0).replaceAll("ckpt-(\\d+)-g\\d+\\.index", "$1"));
    assertThat(lastStep).isGreaterThanOrEqualTo(32);
    // A loss summary every 4 steps rather than every 50.
    List<Event> events = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir.resolve("tagged"))) {
      for (Path file :
          files
              .filter(f -> f.getFileName().toString().startsWith("events.out.tfevents."))
              .collect(Collectors.toList())) {
        for (Row row :
            spark
                .read()
                .format("tfrecord")
                .option("recordType", "ByteArray")
                .load(file.toString())
                .collectAsList()) {
          events.add(Event.parseFrom((byte[]) row.get(0)));
        }
      }
    }
    long losses =
        events.stream()
            .filter(
                event ->
                    event.getSummary().getValueList().stream()
                        .anyMatch(value -> value.getTag().equals("loss")))
            .count();
    // At the first step and then every 4 (every 50 would give 1).
    assertThat(losses).isBetween((lastStep - 1) / 4, (lastStep - 1) / 4 + 2);
  }

  @Test
  void aFrozenNodeFailsFitAfterTheEstimatorsNodeLivenessTimeout() {
    TFEstimator estimator =
        estimator("frozen", 1, 0, new FreezesItsNode())
            .setNodeLivenessTimeout(6)
            .setShutdownTimeout(600);
    long start = System.nanoTime();
    assertThatThrownBy(() -> new Pipeline().setStages(stages(estimator)).fit(data(1, 800)))
        .hasStackTraceContaining("Node worker:0")
        .hasStackTraceContaining("longer than nodeLivenessTimeout (6.0 s)");
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    System.out.printf(
        "fit with a frozen node and nodeLivenessTimeout 6 s failed after %d s%n", seconds);
    // Found by its silence, not by the 600 s shutdownTimeout.
    assertThat(seconds).isLessThan(300);
  }

  @Test
  void aNodeLostDuringFitRestartsTheClusterWhenMaxRestartsAllows() throws Exception {
    Path marker = dir.resolve("died-once");
    TFEstimator estimator =
        estimator("restart", 1, 0, new DiesOnce(marker.toString())).setEpochs(2).setMaxRestarts(1);
    long start = System.nanoTime();
    PipelineModel fitted = new Pipeline().setStages(stages(estimator)).fit(data(1, 800));
    System.out.printf(
        "fit with one node loss and maxRestarts 1 took %d s%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
    // The first node really died; the restarted one trained a model that scores.
    assertThat(marker).exists();
    assertThat(accuracy(fitted.transform(data(100, 400)))).isGreaterThan(0.75);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void shutdownTimeoutBoundsHowLongFitWaitsForTheWorkers() {
    TFEstimator endless =
        estimator("endless", 1, 0)
            .setInputMode(InputMode.TENSORFLOW)
            .setEpochs(1_000_000)
            .setShutdownTimeout(2);
    long start = System.nanoTime();
    assertThatThrownBy(() -> new Pipeline().setStages(stages(endless)).fit(data(1, 200)))
        .hasMessageContaining("Cannot shut down cluster: the workers did not finish")
        .hasMessageContaining("within 2 s");
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    System.out.printf("fit with shutdownTimeout 2 s failed after %d s%n", seconds);
    assertThat(seconds).isLessThan(120);
  }

  @Test
  void loadingAdmitsOnlyWhatAModelFunctionIsMadeOfAndRunsNothingElse() throws Exception {
    Path marker = dir.resolve("readObject-ran");
    String path = dir.resolve("estimator").toString();
    estimator("filtered", 1, 0).write().save(path);
    StructType schema =
        new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.FloatType))
            .add("label", DataTypes.IntegerType);
    // Another class in the model function's place is refused before its readObject runs, and so
    // is one hidden in a collection inside a model function.
    for (Object content :
        List.of(
            new LeavesAFile(marker.toString()),
            new ClassifierWith(new ArrayList<>(List.of(new LeavesAFile(marker.toString())))))) {
      writeModelFunctionFile(path, content);
      assertThatThrownBy(() -> TFEstimator.load(path))
          .hasMessageContaining("Cannot load the model function from ")
          .hasMessageContaining("class " + LeavesAFile.class.getName() + " is not admitted");
      assertThat(marker).doesNotExist();
    }
    // The stream is bounded.
    Object nested = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      nested = new ArrayList<>(List.of(nested));
    }
    writeModelFunctionFile(path, new ClassifierWith(nested));
    assertThatThrownBy(() -> TFEstimator.load(path))
        .hasMessageContaining("Cannot load the model function from ")
        .hasMessageContaining("objects nest deeper than 64");
    // Values, arrays and java.util collections are admitted.
    writeModelFunctionFile(
        path,
        new ClassifierWith(
            Map.of("sizes", List.of(4, 16, 2), "rate", new float[] {0.2f}, "name", "clf")));
    assertThat(TFEstimator.load(path).transformSchema(schema).fieldNames()).contains("prediction");
    // Another user class only once the application names it.
    writeModelFunctionFile(path, new ClassifierWith(new LayerSizes()));
    assertThatThrownBy(() -> TFEstimator.load(path))
        .hasMessageContaining("class " + LayerSizes.class.getName() + " is not admitted")
        .hasMessageContaining("spark.sparktf.modelFunction.allowedClasses");
    spark.conf().set("spark.sparktf.modelFunction.allowedClasses", LayerSizes.class.getName());
    try {
      assertThat(TFEstimator.load(path).transformSchema(schema).fieldNames())
          .contains("prediction");
    } finally {
      spark.conf().unset("spark.sparktf.modelFunction.allowedClasses");
    }
  }

  /** Replaces a saved estimator's model function file, as someone with write access could. */
  private static void writeModelFunctionFile(String estimator, Object content) throws IOException {
    Path file = Path.of(estimator, "data", "modelFunction.ser");
    // Hadoop's local file system would refuse the new content against the old checksum.
    Files.deleteIfExists(file.resolveSibling(".modelFunction.ser.crc"));
    try (ObjectOutputStream out = new ObjectOutputStream(Files.newOutputStream(file))) {
      out.writeObject(content);
    }
  }
}
