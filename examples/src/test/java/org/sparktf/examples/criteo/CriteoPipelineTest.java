package org.sparktf.examples.criteo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.TestSpark;
import org.sparktf.examples.reporting.EventScalars;
import org.sparktf.examples.reporting.RunOutputs;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.NodeDef;

/** Generate -> ETL -> explore / train -> evaluate, through the jobs' entry points. */
class CriteoPipelineTest {
  private static final long ROWS = 220_000;
  private static final long SEED = 7;
  // Bounds on the gain (constant - model) / (constant - planted optimum) on this data: measured
  // 0.767-0.770 for the linear model and 0.766-0.771 for the factorization machine (0.64-0.70 for
  // one whose embeddings start at Layers.embedding's spread unscaled: the bound catches that).
  private static final double GAIN_LINEAR = 0.73;
  private static final double GAIN_FM = 0.73;
  private static SparkSession spark;
  private static CriteoEtl.Result etl;

  @TempDir static Path dir;

  @BeforeAll
  static void generateAndConvert() {
    spark = TestSpark.local("CriteoPipelineTest", 4);
    CriteoGenerator.run(
        spark,
        "--output",
        dir.resolve("raw").toString(),
        "--rows",
        Long.toString(ROWS),
        "--files",
        "4",
        "--seed",
        Long.toString(SEED));
    etl =
        CriteoEtl.run(
            spark,
            "--input",
            dir.resolve("raw").toString(),
            "--output",
            dir.resolve("data").toString(),
            "--validation-fraction",
            "0.1",
            "--train-chunks",
            "8",
            "--validation-chunks",
            "2");
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private static Dataset<Row> read(String path) {
    return spark.read().format("tfrecord").schema(CriteoFormat.SCHEMA).load(path);
  }

  @Test
  void etlSplitsEveryRowIntoGzipChunks() throws Exception {
    long training = read(etl.training()).count();
    long validation = read(etl.validation()).count();
    assertThat(etl.malformed()).isZero();
    assertThat(training + validation).isEqualTo(ROWS);
    assertThat((double) validation / ROWS).isCloseTo(0.1, within(0.01));
    try (var files = Files.list(dir.resolve("data/training"))) {
      assertThat(files.map(Path::toString).filter(f -> f.endsWith(".tfrecord.gz"))).hasSize(8);
    }
    try (var files = Files.list(dir.resolve("data/validation"))) {
      assertThat(files.map(Path::toString).filter(f -> f.endsWith(".tfrecord.gz"))).hasSize(2);
    }
  }

  @Test
  void explorationRunsTheReferenceQueriesOnTheView() {
    Map<String, List<Row>> results =
        CriteoExploration.run(spark, "--input", dir.resolve("raw").toString(), "--format", "tsv");
    assertThat(results.get("first rows")).hasSize(5);
    assertThat(results.get("row count").get(0).getLong(0)).isEqualTo(ROWS);
    List<Row> labels = results.get("label distribution");
    assertThat(labels).extracting(r -> r.getLong(0)).containsExactly(0L, 1L);
    assertThat(labels.get(0).getLong(1) + labels.get(1).getLong(1)).isEqualTo(ROWS);
    // C1 has 1460 values in Criteo, C3 millions: few of them repeat in 220,000 rows.
    Row distinct = results.get("distinct values").get(0);
    assertThat(distinct.getLong(0)).isBetween(1000L, 1460L);
    assertThat(distinct.getLong(2)).isGreaterThan(distinct.getLong(0) * 10);
    assertThat(distinct.getLong(5)).isLessThanOrEqualTo(24L);
    List<Row> histogram = results.get("histogram of I1");
    assertThat(histogram).hasSize(20);
    long nonNull = spark.sql("SELECT COUNT(I1) FROM criteo").first().getLong(0);
    assertThat(histogram.stream().mapToLong(r -> r.getLong(1)).sum())
        .isCloseTo(nonNull, within(20L)); // heights are rounded doubles
    List<Row> pairs = results.get("top C1, C2 pairs");
    assertThat(pairs).hasSize(20);
    Row top = pairs.get(0);
    long direct =
        spark
            .sql(
                "SELECT COUNT(*) FROM criteo WHERE C1 = '"
                    + top.getString(0)
                    + "' AND C2 = '"
                    + top.getString(1)
                    + "'")
            .first()
            .getLong(0);
    assertThat(top.getLong(2)).isEqualTo(direct).isGreaterThanOrEqualTo(pairs.get(19).getLong(2));
    // The same queries run on the ETL's TFRecords.
    Map<String, List<Row>> converted =
        CriteoExploration.run(spark, "--input", etl.training(), "--format", "tfrecord");
    assertThat(converted.get("row count").get(0).getLong(0))
        .isEqualTo(read(etl.training()).count());
  }

  @Test
  void etlDropsAndCountsMalformedLinesOrFailsOnTheFirstWithItsContent() throws Exception {
    Path raw = dir.resolve("malformed/day_0");
    Files.createDirectories(raw.getParent());
    SyntheticCriteo data = new SyntheticCriteo(1);
    StringBuilder lines = new StringBuilder();
    for (long id = 0; id < 30; id++) {
      lines.append(CriteoFormat.format(data.row(id))).append('\n');
    }
    lines.append("1\tnot\tenough\n");
    lines.append(CriteoFormat.format(data.row(30)).replaceFirst("^[01]", "x")).append('\n');
    Files.writeString(raw, lines.toString());
    CriteoEtl.Result dropped =
        CriteoEtl.run(
            spark,
            "--input",
            raw.toString(),
            "--output",
            dir.resolve("malformed/out").toString(),
            "--train-chunks",
            "2",
            "--validation-chunks",
            "1",
            "--validation-fraction",
            "0.2");
    assertThat(dropped.malformed()).isEqualTo(2);
    assertThat(dropped.samples())
        .anySatisfy(s -> assertThat(s).contains("3 tab-separated fields instead of 40"))
        .anySatisfy(s -> assertThat(s).contains("label 'x' is not 0 or 1"));
    assertThat(read(dropped.training()).count() + read(dropped.validation()).count()).isEqualTo(30);

    assertThatThrownBy(
            () ->
                CriteoEtl.run(
                    spark,
                    "--input",
                    raw.toString(),
                    "--output",
                    dir.resolve("malformed/failed").toString(),
                    "--malformed",
                    "fail"))
        .hasStackTraceContaining(
            "day_0: Invalid Criteo line: 3 tab-separated fields instead of 40:"
                + " '1\\tnot\\tenough'");
  }

  @Test
  void jobsRefuseUnknownOrInvalidOptions() {
    assertThatThrownBy(() -> CriteoEtl.run(spark, "--inptu", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid option: --inptu; usage: CriteoEtl --input GLOB");
    assertThatThrownBy(
            () -> CriteoTraining.run(spark, "--data", "d", "--model", "m", "--workers", "0"))
        .hasMessage("Invalid --workers: 0; it must be >= 1");
    assertThatThrownBy(
            () -> CriteoTraining.run(spark, "--data", "d", "--model", "m", "--model-type", "svm"))
        .hasMessageStartingWith("Invalid --model-type: svm; use linear or fm; usage:");
    assertThatThrownBy(
            () -> CriteoTraining.run(spark, "--data", "d", "--model", "m", "--factors", "8"))
        .hasMessageStartingWith(
            "Invalid --factors: the linear model has no embeddings; use --model-type fm");
    assertThatThrownBy(() -> CriteoTraining.run(spark, "--data", "d", "--model", "m", "--ps", "0"))
        .hasMessage("Invalid --ps: 0; it must be >= 1");
    assertThatThrownBy(
            () ->
                CriteoTraining.run(
                    spark,
                    "--data",
                    "d",
                    "--model",
                    "m",
                    "--updates",
                    "dense",
                    "--ps",
                    "2",
                    "--table-shards",
                    "2"))
        .hasMessageStartingWith(
            "Invalid --table-shards: 2 with --updates dense, which keeps each table whole");
    assertThatThrownBy(() -> CriteoGenerator.run(spark, "--rows", "5"))
        .hasMessageStartingWith("Missing option: --output; usage: CriteoGenerator");
  }

  /** A trained model and its evaluation through its SavedModel. */
  private record Trained(CriteoTraining.Result training, CriteoEvaluation.Result evaluation) {}

  /** Trains a model of {@code type} with the same settings as every other, and evaluates it. */
  private static Trained train(String type, String... more) {
    String data = dir.resolve("data").toString();
    String model = dir.resolve("model-" + type).toString();
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data",
                data,
                "--model",
                model,
                "--model-type",
                type,
                "--workers",
                "2",
                "--epochs",
                "3",
                "--batch-size",
                "512",
                "--learning-rate",
                "0.3",
                "--initial-accumulator",
                "0.1",
                "--hash-buckets",
                "262144",
                "--eval-every",
                "100",
                "--eval-records",
                "50000"));
    args.addAll(List.of(more));
    CriteoTraining.Result training = CriteoTraining.run(spark, args.toArray(new String[0]));
    CriteoEvaluation.Result evaluation =
        CriteoEvaluation.run(spark, "--data", data, "--model", model, "--planted-seed", "7");
    return new Trained(training, evaluation);
  }

  @Test
  void trainedModelLearnsMostOfThePlantedSignal() throws Exception {
    Trained linear = train("linear");
    CriteoTraining.Result training = linear.training();
    CriteoEvaluation.Result evaluation = linear.evaluation();
    String model = dir.resolve("model-linear").toString();

    List<double[]> curve = training.curve();
    // The chief's first point: weights start at zero (log loss ln 2), but the other worker may
    // already have applied asynchronous updates by the time the chief evaluates (on a busy machine,
    // many: 0.533 was seen), so training is measured against the zero-weight start, ln 2.
    assertThat(curve.get(0)[2]).isLessThanOrEqualTo(Math.log(2) + 1e-4);
    assertThat(training.finalLogLoss()).isLessThan(Math.log(2) - 0.1);
    assertThat(curve.size()).isGreaterThan(5);
    // The chief evaluated the whole validation set; TFModel over the SavedModel agrees.
    assertThat(evaluation.logLoss()).isCloseTo(training.finalLogLoss(), within(1e-3));
    assertThat(evaluation.rows()).isEqualTo(read(etl.validation()).count());
    // The realistic planted model: a click rate of about 3.6%, part of the signal in interactions
    // the logistic regression cannot represent.
    assertThat(evaluation.gain()).isGreaterThan(GAIN_LINEAR);

    // What people look at: the graph for TensorBoard, the validation log loss in its eval run and
    // the reference's figure of it over training time, the loss and each worker's examples/s.
    RunOutputs.assertGraphWithOps(Path.of(model), "records", "global_step");
    Path plots = Path.of(model, "plots");
    List<String[]> figure = RunOutputs.assertChart(plots, "eval_validation_log_loss_vs_time");
    assertThat(figure).hasSameSizeAs(curve);
    for (int i = 0; i < curve.size(); i++) {
      assertThat(Long.parseLong(figure.get(i)[1])).isEqualTo((long) curve.get(i)[0]);
      assertThat(Double.parseDouble(figure.get(i)[3])).isCloseTo(curve.get(i)[2], within(1e-5));
    }
    EventScalars scalars = EventScalars.read(new Configuration(), model);
    RunOutputs.assertSamePoints(
        RunOutputs.assertChart(plots, "loss_vs_time"), scalars.points("", "loss"));
    assertThat(RunOutputs.assertChart(plots, "examples_per_sec"))
        .extracting(row -> row[0])
        .containsOnly("worker 0 (chief)", "worker 1")
        .contains("worker 0 (chief)", "worker 1");
  }

  @Test
  void factorizationMachineTrainsWithShardedTablesAndItsSavedModelScoresEveryRow()
      throws Exception {
    // On 2 parameter servers, so each table is split in 2 shards (one per PS by default). Its
    // curve is not checked: evaluating every 400 steps instead of 100 pays for the second PS.
    Trained fm = train("fm", "--factors", "8", "--ps", "2", "--eval-every", "400");
    String embeddings = ClickModel.FACTORS + "_embeddings";
    long vocabulary = CriteoFeatures.NUMERIC_IDS + 262_144;

    // The training graph held the embedding table as 2 shards, one on each parameter server, each
    // with its AdaGrad accumulator beside it.
    Map<String, String> devices = new java.util.HashMap<>();
    for (NodeDef node : RunOutputs.trainingGraph(dir.resolve("model-fm")).getNodeList()) {
      if (node.getOp().equals("VariableV2") && node.getName().startsWith(embeddings)) {
        devices.put(node.getName(), node.getDevice());
      }
    }
    String part0 = embeddings + ".part_0";
    String part1 = embeddings + ".part_1";
    assertThat(devices)
        .containsOnlyKeys(part0, part0 + "-accumulator", part1, part1 + "-accumulator");
    assertThat(devices.get(part0)).startsWith("/job:ps").isNotEqualTo(devices.get(part1));
    assertThat(devices.get(part1)).startsWith("/job:ps");
    assertThat(devices.get(part0 + "-accumulator")).isEqualTo(devices.get(part0));
    assertThat(devices.get(part1 + "-accumulator")).isEqualTo(devices.get(part1));
    // Its SavedModel holds the table as one variable of the full shape, and no parameter server;
    // it scored every validation row through TFModel, and agrees with the chief's last in-graph
    // evaluation.
    try (SavedModelBundle bundle =
        SavedModelBundle.load(Path.of(URI.create(fm.training().exportDir())).toString(), "serve")) {
      assertThat(bundle.graph().operation(embeddings).output(0).shape())
          .isEqualTo(Shape.of(vocabulary, 8));
      assertThat(bundle.graph().toGraphDef().getNodeList())
          .noneMatch(node -> node.getName().contains(".part_"))
          .noneMatch(node -> node.getDevice().contains("/job:ps"));
    }
    assertThat(fm.evaluation().rows()).isEqualTo(read(etl.validation()).count());
    assertThat(fm.evaluation().logLoss()).isCloseTo(fm.training().finalLogLoss(), within(1e-3));
    // As much of the planted signal as the logistic regression: on 198,000 training rows the
    // interactions it learns besides do not yet show (docs/benchmarks.md, Criteo click models).
    assertThat(fm.evaluation().gain()).isGreaterThan(GAIN_FM);
  }
}
