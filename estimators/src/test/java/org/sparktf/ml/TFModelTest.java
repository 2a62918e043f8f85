package org.sparktf.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.TestSpark;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

class TFModelTest {
  private static SparkSession spark;
  @TempDir static Path models;
  @TempDir Path dir;

  /** y = w*x + 1 with w = 2 in a variable, the sum of a 2-vector, and the vector doubled. */
  static String exportModel() throws Exception {
    Path export = models.resolve("model");
    if (export.toFile().exists()) {
      return export.toString();
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
      Placeholder<TFloat32> v = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      Variable<TFloat32> w = tf.variable(tf.constant(2f));
      var y = tf.math.add(tf.math.mul(x, w), tf.constant(1f));
      var sum = tf.reduceSum(v, tf.constant(1));
      var doubled = tf.math.mul(v, tf.constant(2f));
      var positive = tf.dtypes.cast(tf.math.greater(x, tf.constant(0f)), TInt64.class);
      try (Session session = new Session(graph)) {
        session.initialize();
        Signature signature =
            Signature.builder()
                .key("serving_default")
                .input("x", x)
                .input("v", v)
                .output("y", y)
                .output("sum", sum)
                .output("doubled", doubled)
                .output("positive", positive)
                .build();
        SavedModelBundle.exporter(export.toString())
            .withSession(session)
            .withSignature(signature)
            .export();
      }
    }
    return export.toString();
  }

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("TFModelTest", 2);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private static Dataset<Row> data() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("x", DataTypes.FloatType, false)
            .add("v", SQLDataTypes.VectorType(), false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      rows.add(RowFactory.create((long) i, i - 150f, Vectors.dense(i, 1)));
    }
    // More partitions than some of them fill: empty partitions must work.
    return spark.createDataFrame(rows, schema).repartition(7).limit(300).repartition(9);
  }

  private static TFModel model() throws Exception {
    return new TFModel()
        .setExportDir(exportModel())
        .setInputMapping(Map.of("x", "x", "v", "v"))
        .setOutputMapping(new java.util.LinkedHashMap<>(Map.of("y", "y")))
        .setBatchSize(32);
  }

  @Test
  void appendsTypedOutputsAndKeepsEveryInputColumn() throws Exception {
    Map<String, String> outputs = new java.util.LinkedHashMap<>();
    outputs.put("y", "prediction");
    outputs.put("sum", "sum");
    outputs.put("doubled", "doubled");
    outputs.put("positive", "positive");
    Dataset<Row> scored = model().setOutputMapping(outputs).transform(data());
    assertThat(scored.columns())
        .containsExactly("id", "x", "v", "prediction", "sum", "doubled", "positive");
    assertThat(scored.schema().apply("prediction").dataType()).isEqualTo(DataTypes.FloatType);
    assertThat(scored.schema().apply("doubled").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThat(scored.schema().apply("positive").dataType()).isEqualTo(DataTypes.LongType);
    List<Row> rows = scored.collectAsList();
    assertThat(rows).hasSize(300);
    for (Row row : rows) {
      long id = row.getLong(0);
      float x = id - 150f;
      assertThat(row.getFloat(3)).isEqualTo(2 * x + 1);
      assertThat(row.getFloat(4)).isEqualTo(id + 1f);
      assertThat(row.getList(5)).containsExactly(2f * id, 2f);
      assertThat(row.getLong(6)).isEqualTo(x > 0 ? 1L : 0L);
    }
  }

  @Test
  void aPipelineWithTheModelSavesLoadsAndPredictsTheSame() throws Exception {
    Dataset<Row> raw =
        spark
            .range(0, 200)
            .selectExpr(
                "id",
                "CAST(id AS FLOAT) AS x",
                "CAST(id * 3 AS DOUBLE) AS a",
                "CAST(id % 7 AS DOUBLE) AS b");
    Pipeline pipeline =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("raw"),
                  new StandardScaler().setInputCol("raw").setOutputCol("v"),
                  model().setOutputMapping(Map.of("sum", "score"))
                });
    PipelineModel fitted = pipeline.fit(raw);
    List<Row> before = fitted.transform(raw).orderBy("id").select("id", "score").collectAsList();
    String path = dir.resolve("pipeline").toString();
    fitted.write().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    TFModel reloaded = (TFModel) loaded.stages()[2];
    assertThat(reloaded.getExportDir()).startsWith(path);
    assertThat(reloaded.getInputMapping()).isEqualTo(Map.of("x", "x", "v", "v"));
    assertThat(reloaded.getBatchSize()).isEqualTo(32);
    List<Row> after = loaded.transform(raw).orderBy("id").select("id", "score").collectAsList();
    assertThat(after).isEqualTo(before);
    assertThat(before.get(10).getFloat(1)).isNotZero();
  }

  @Test
  void savesAndLoadsLikeAnyMllibStage() throws Exception {
    TFModel model = model().setSignatureDefKey("serving_default").setTagSet("serve");
    String path = dir.resolve("model").toString();
    model.write().save(path);
    assertThatThrownBy(() -> model.write().save(path))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("already exists");
    model.write().overwrite().save(path);
    TFModel loaded = TFModel.load(path);
    assertThat(loaded.uid()).isEqualTo(model.uid());
    assertThat(loaded.getInputMapping()).isEqualTo(model.getInputMapping());
    assertThat(loaded.getOutputMapping()).isEqualTo(model.getOutputMapping());
    assertThat(loaded.getBatchSize()).isEqualTo(32);
    assertThat(loaded.getSignatureDefKey()).isEqualTo("serving_default");
    // The saved stage carries its own SavedModel copy.
    assertThat(Path.of(loaded.getExportDir()).resolve("saved_model.pb")).exists();
    List<Row> expected = model.transform(data()).orderBy("id").collectAsList();
    assertThat(loaded.transform(data()).orderBy("id").collectAsList()).isEqualTo(expected);
  }

  @Test
  void refusesBadColumnsAndParamsBeforeRunningAnything() throws Exception {
    Dataset<Row> data = data();
    assertThatThrownBy(() -> model().setInputMapping(Map.of("nope", "x")).transform(data))
        .hasMessageContaining("Cannot feed column 'nope': no such column; available: id, x, v");
    assertThatThrownBy(() -> model().setInputMapping(Map.of("x", "z")).transform(data))
        .hasMessageContaining("Invalid inputMapping: x -> z; the signature's inputs are");
    assertThatThrownBy(() -> model().setOutputMapping(Map.of("y", "id")).transform(data))
        .hasMessageContaining("Invalid outputMapping: output column id already exists");
    assertThatThrownBy(
            () -> model().setOutputMapping(Map.of("logits", "l")).transformSchema(data.schema()))
        .hasMessageContaining("Invalid outputMapping: logits -> l");
    assertThatThrownBy(() -> model().setExportDir(dir.toString()).transform(data))
        .hasMessageContaining("holds no saved_model.pb");
    assertThatThrownBy(() -> model().setSignatureDefKey("predict").transform(data))
        .hasMessageContaining("Invalid signatureDefKey: predict");
    assertThatThrownBy(() -> model().setBatchSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TFModel().transformSchema(data.schema()))
        .hasMessageContaining("Invalid TFModel: exportDir is not set");
  }

  @Test
  void arrayColumnsAreFedAsIsOrCastAndEmptyInputsGiveEmptyOutputs() throws Exception {
    Map<String, String> outputs = new java.util.LinkedHashMap<>();
    outputs.put("sum", "sum");
    outputs.put("doubled", "doubled");
    // array<float> goes straight into the tensor; array<double> is cast to the float input.
    for (String type : List.of("FLOAT", "DOUBLE")) {
      Dataset<Row> arrays =
          data()
              .selectExpr(
                  "id", "x", "array(CAST(id AS " + type + "), CAST(1 AS " + type + ")) AS v");
      for (int batch : List.of(1, 32, 1024)) {
        List<Row> rows =
            model().setBatchSize(batch).setOutputMapping(outputs).transform(arrays).collectAsList();
        assertThat(rows).hasSize(300);
        for (Row row : rows) {
          long id = row.getLong(0);
          assertThat(row.getFloat(3)).as("batch %d, %s", batch, type).isEqualTo(id + 1f);
          assertThat(row.getList(4)).containsExactly(2f * id, 2f);
        }
      }
    }
    // A consumer that stops early leaves a batch in flight: the task must still end cleanly.
    assertThat(model().setBatchSize(16).transform(data()).limit(5).collectAsList()).hasSize(5);
    Dataset<Row> empty = spark.createDataFrame(List.of(), data().schema());
    Dataset<Row> scored = model().transform(empty);
    assertThat(scored.columns()).containsExactly("id", "x", "v", "y");
    assertThat(scored.collectAsList()).isEmpty();
    assertThat(model().transform(data().filter("id < 0")).count()).isZero();
  }

  @Test
  void raggedOrNullArraysFailWithTheColumnAndRow() throws Exception {
    Dataset<Row> ragged =
        data()
            .coalesce(1)
            .selectExpr(
                "id", "x", "IF(id = 3, array(1f, 2f, 3f), array(CAST(id AS FLOAT), 1f)) AS v");
    assertThatThrownBy(() -> model().transform(ragged).collectAsList())
        .hasMessageContaining("Cannot feed column 'v': row ")
        .hasMessageContaining("must have the same length");
    Dataset<Row> nullElement =
        data().selectExpr("id", "x", "IF(id = 7, array(1f, null), array(1f, 2f)) AS v");
    assertThatThrownBy(() -> model().transform(nullElement).collectAsList())
        .hasMessageContaining("Cannot feed column 'v': the array in row")
        .hasMessageContaining("holds a null element");
    Dataset<Row> nullArray = data().selectExpr("id", "x", "IF(id = 7, NULL, array(1f, 2f)) AS v");
    assertThatThrownBy(() -> model().transform(nullArray).collectAsList())
        .hasMessageContaining("Cannot feed column 'v'")
        .hasMessageContaining("is null");
  }

  @Test
  void nullsInMappedColumnsFailWithTheColumnName() throws Exception {
    Dataset<Row> withNull =
        data().selectExpr("id", "CASE WHEN id = 5 THEN NULL ELSE x END AS x", "v");
    assertThatThrownBy(() -> model().transform(withNull).collectAsList())
        .hasMessageContaining("Cannot feed column 'x'")
        .hasMessageContaining("is null");
  }
}
