package org.sparktf.ml.repl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Functions written in Spark's Scala REPL, as in a notebook paragraph, run on the TensorFlow nodes:
 * their classes exist only on the driver, and the nodes' own JVMs load them through their
 * executors. Subclasses start the REPL on a master.
 */
abstract class ReplContract {
  static final Duration START = Duration.ofMinutes(3);
  static final Duration TRAIN = Duration.ofMinutes(5);

  /** The imports and the data every test uses: label = 1 when a + 2b > 0. */
  static final String PRELUDE =
      String.join(
          "\n",
          "import org.sparktf.ml._, org.sparktf.ml.model._, org.sparktf.core._",
          "import scala.collection.JavaConverters._",
          "import org.apache.spark.ml.Pipeline",
          "import org.apache.spark.ml.feature.{StandardScaler, VectorAssembler}",
          "def data(seed: Long, rows: Int) = spark.range(0, rows, 1, 4).selectExpr("
              + "s\"randn($seed) * 3 AS a\", s\"randn(${seed + 1}) AS b\","
              + " s\"randn(${seed + 2}) AS c\", s\"rand(${seed + 3}) AS d\")"
              + ".selectExpr(\"*\", \"CAST(IF(a + 2 * b > 0, 1, 0) AS INT) AS label\")",
          "def scale(est: org.apache.spark.ml.PipelineStage) = new Pipeline().setStages(Array("
              + "new VectorAssembler().setInputCols(Array(\"a\", \"b\", \"c\", \"d\"))"
              + ".setOutputCol(\"raw\"),"
              + " new StandardScaler().setInputCol(\"raw\").setOutputCol(\"features\"), est))");

  /**
   * A two-layer classifier as a Scala lambda (SAM-converted to ModelFunction), defined in the same
   * request as a value that cannot be serialized, as notebook paragraphs often are.
   */
  static final String CLASSIFIER =
      String.join(
          "\n",
          "val reader = spark.read; val width = 16; val classifier: ModelFunction = (m: ModelBuilder) => {",
          "  val tf = m.tf()",
          "  val hidden = Layers.dense(m, \"hidden\", m.input(\"features\"), 4, width, true)",
          "  val logits = Layers.dense(m, \"logits\", hidden, width, 2, false)",
          "  val loss = if (m.training()) Layers.softmaxCrossEntropy(m, logits, m.labelAsClasses(), 2)"
              + " else null",
          "  ModelOutputs.of(loss, Map[String, org.tensorflow.Operand[_]](\"probabilities\" ->"
              + " tf.nn.softmax(logits), \"class\" -> tf.math.argMax(logits, tf.constant(1))).asJava)",
          "}");

  /** The test class's REPL, started by its {@code @BeforeAll}. */
  static ScalaRepl repl;

  @AfterAll
  static void stopRepl() {
    if (repl != null) {
      repl.close();
      repl = null;
    }
  }

  static ScalaRepl repl() {
    return repl;
  }

  @TempDir Path dir;

  @Test
  void aModelFunctionDefinedInTheReplTrainsOnTheNodes() {
    repl().eval(CLASSIFIER, TRAIN);
    // As written, the lambda holds its request's wrapper, reader and all: only cleaning ships it.
    assertThat(
            repl()
                .run(
                    "val plain = scala.util.Try(new java.io.ObjectOutputStream("
                        + "new java.io.ByteArrayOutputStream()).writeObject(classifier))",
                    START))
        .contains(
            "Failure(java.io.NotSerializableException: org.apache.spark.sql.DataFrameReader)");
    String printed =
        repl()
            .eval(
                String.join(
                    "\n",
                    "val estimator = new TFEstimator(classifier)"
                        + ".setInputMapping(Map(\"features\" -> \"features\"))"
                        + ".setOutputMapping(Map(\"class\" -> \"prediction\"))"
                        + ".setLabelCol(\"label\").setClusterSize(2).setNumPs(1)"
                        + ".setEpochs(4).setBatchSize(50).setLearningRate(0.2f)"
                        + ".setNodeJavaOptions(\"-Xmx512m\")"
                        + ".setModelDir(\""
                        + dir.resolve("model").toUri()
                        + "\").setExportDir(\""
                        + dir.resolve("export").toUri()
                        + "\")",
                    "val fitted = scale(estimator).fit(data(1, 2000))",
                    "val accuracy = fitted.transform(data(100, 2000))"
                        + ".selectExpr(\"AVG(CAST(label = prediction AS DOUBLE))\").first.getDouble(0)"),
                TRAIN);
    Matcher accuracy = Pattern.compile("accuracy: Double = ([0-9.]+)").matcher(printed);
    assertThat(accuracy.find()).as(printed).isTrue();
    assertThat(Double.parseDouble(accuracy.group(1))).isGreaterThan(0.9);
  }

  @Test
  void aNodeFunctionDefinedInTheReplAsAnAnonymousClassRunsOnEveryNode() throws Exception {
    repl()
        .eval(
            String.join(
                "\n",
                "case class Greeting(node: String) { def text = s\"hello from $node\" }",
                "val greet = new NodeFunction {",
                "  def run(ctx: NodeContext): Unit = {",
                "    val g = Greeting(ctx.jobName() + \":\" + ctx.taskIndex())",
                "    val out = java.nio.file.Paths.get(new java.net.URI(ctx.modelDir()))",
                "    java.nio.file.Files.writeString(out.resolve(g.node.replace(':', '-') + \".txt\"), g.text)",
                "  }",
                "}",
                "val cluster = TFCluster.builder(spark).numExecutors(2).numPs(0)"
                    + ".inputMode(InputMode.TENSORFLOW).modelDir(\""
                    + dir.toUri()
                    + "\").reservationTimeout(java.time.Duration.ofSeconds(90))"
                    + ".nodeJavaOptions(\"-Xmx256m\").run(greet)",
                "cluster.shutdown(); cluster.close()"),
            TRAIN);
    assertThat(Files.readString(dir.resolve("worker-0.txt"))).isEqualTo("hello from worker:0");
    assertThat(Files.readString(dir.resolve("worker-1.txt"))).isEqualTo("hello from worker:1");
  }
}
