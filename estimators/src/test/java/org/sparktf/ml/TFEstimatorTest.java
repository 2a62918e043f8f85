package org.sparktf.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.TestSpark;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Operand;
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

  /** Four raw columns; the label is 1 when a + 2b > 0. */
  private static Dataset<Row> data(long seed) {
    return spark
        .range(0, 4000, 1, 6)
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

  private TFEstimator estimator(
      String name, int clusterSize, int numPs, org.sparktf.ml.model.ModelFunction model) {
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
    Dataset<Row> train = data(1).cache();
    Dataset<Row> test = data(100);
    TFEstimator fromRecords = estimator("records", 3, 1).setInputMode("TENSORFLOW");
    PipelineModel recordsModel = new Pipeline().setStages(stages(fromRecords)).fit(train);
    PipelineModel fedModel = new Pipeline().setStages(stages(estimator("fed", 1, 0))).fit(train);
    double recordsAccuracy = accuracy(recordsModel.transform(test));
    double fedAccuracy = accuracy(fedModel.transform(test));
    assertThat(recordsAccuracy).isGreaterThan(0.95);
    assertThat(recordsAccuracy).isGreaterThan(fedAccuracy - 0.02);
    // fit wrote the fed columns under modelDir/tfrecords, one file per worker.
    Path records = dir.resolve("records").resolve("tfrecords");
    try (var files = java.nio.file.Files.list(records)) {
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
        .isEqualTo(4000);
    TFEstimator again =
        estimator("records", 3, 1)
            .setInputMode(org.sparktf.core.InputMode.TENSORFLOW)
            .setExportDir(dir.resolve("records-export-2").toUri().toString());
    assertThatThrownBy(() -> new Pipeline().setStages(stages(again)).fit(train))
        .hasMessageContaining("Invalid tfrecordDir: ")
        .hasMessageContaining("already exists");
  }

  @Test
  void everyParamRefusesABadValueAndDocumentsItsDefault() {
    TFEstimator e = estimator("params", 2, 0);
    List<Runnable> bad =
        List.of(
            () -> e.setEpochs(0),
            () -> e.setSteps(-1),
            () -> e.setClusterSize(0),
            () -> e.setNumPs(-1),
            () -> e.setBatchSize(0),
            () -> e.setLearningRate(0f),
            () -> e.setFeedTimeout(0),
            () -> e.setNodeJavaOptions("Xmx2g"),
            () -> e.setNodeJavaOptions(" "),
            () -> e.setCheckpointInterval(0),
            () -> e.setOptimizer("lbfgs"),
            () -> e.setInputMode("PANDAS"),
            () -> e.setModelDir(""),
            () -> e.setExportDir(""),
            () -> e.setTfrecordDir(""),
            () -> e.setLabelCol(""),
            () -> e.setInputMapping(Map.of("features", "")));
    List<String> names =
        List.of(
            "epochs",
            "steps",
            "clusterSize",
            "numPs",
            "batchSize",
            "learningRate",
            "feedTimeout",
            "nodeJavaOptions",
            "nodeJavaOptions",
            "checkpointInterval",
            "optimizer",
            "inputMode",
            "modelDir",
            "exportDir",
            "tfrecordDir",
            "labelCol",
            "inputMapping");
    for (int i = 0; i < bad.size(); i++) {
      assertThatThrownBy(bad.get(i)::run)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("parameter " + names.get(i) + " given invalid value");
    }
    for (org.apache.spark.ml.param.Param<?> param : e.params()) {
      assertThat(param.doc()).as(param.name()).containsPattern("Default: [^ ].*\\.$");
    }
    assertThat(e.getOrDefault(e.inputMode())).isEqualTo("SPARK");
    assertThat(e.setNodeJavaOptions(" -Xmx512m  -Da=b ").getOrDefault(e.nodeJavaOptions()))
        .isEqualTo(" -Xmx512m  -Da=b ");
  }

  @Test
  void anEstimatorSavesAndLoadsWithItsParamsAndModelFunction() throws Exception {
    TFEstimator estimator = estimator("saved", 3, 1).setOptimizer("adam").setSteps(500);
    String path = dir.resolve("estimator").toString();
    estimator.write().save(path);
    TFEstimator loaded = TFEstimator.load(path);
    assertThat(loaded.uid()).isEqualTo(estimator.uid());
    assertThat(loaded.getInputMapping()).isEqualTo(Map.of("features", "features"));
    assertThat(loaded.getOrDefault(loaded.optimizer())).isEqualTo("adam");
    assertThat(loaded.getOrDefault(loaded.steps())).isEqualTo(500L);
    assertThat(loaded.getOrDefault(loaded.numPs())).isEqualTo(1);
    assertThat(loaded.getOrDefault(loaded.learningRate())).isEqualTo(0.2f);
  }

  @Test
  void badColumnsAndParamsFailBeforeAnyClusterStarts() {
    Dataset<Row> raw =
        data(1).selectExpr("array(CAST(a AS FLOAT), CAST(b AS FLOAT)) AS features", "label");
    assertThatThrownBy(() -> estimator("x", 2, 0).setLabelCol("y").fit(raw))
        .hasMessageContaining("Invalid labelCol: no column 'y'");
    assertThatThrownBy(
            () -> estimator("x", 2, 0).setInputMapping(Map.of("pixels", "features")).fit(raw))
        .hasMessageContaining("Cannot feed column 'pixels': no such column");
    assertThatThrownBy(() -> estimator("x", 2, 0).setSyncReplicas(true).fit(raw))
        .hasMessageContaining("Invalid syncReplicas: synchronous training needs setSteps(n)");
    assertThatThrownBy(() -> estimator("x", 2, 0).setOptimizer("lbfgs"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> estimator("x", 2, 0).setOutputMapping(Map.of("logits", "l")).fit(raw))
        .hasMessageContaining("Invalid outputMapping: logits -> l; the model's outputs are");
    StructType typed = estimator("x", 2, 0).transformSchema(raw.schema());
    assertThat(typed.apply("prediction").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(typed.apply("probability").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThatThrownBy(() -> new TFEstimator(TFEstimatorTest::classifier).fit(raw))
        .hasMessageContaining("Invalid TFEstimator: inputMapping is not set");
  }
}
