package org.sparktf.ml.repl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparktf.core.Leaks;

/** Notebook-style functions on {@code local[3]}: the executor is the driver's JVM. */
class ReplLocalTest extends ReplContract {
  @BeforeAll
  static void startRepl() {
    repl = new ScalaRepl("local[3]", Map.of(), START);
    repl.eval(PRELUDE, START);
    repl.eval(CLASSIFIER, START);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  @Test
  void savingAnEstimatorWhoseFunctionCameFromTheReplFailsAtSaveAndSaysWhatToDo() {
    repl.eval(CLASSIFIER, START);
    Path saved = dir.resolve("saved");
    String printed =
        repl.run(
            "new TFEstimator(classifier).setInputMapping(Map(\"features\" -> \"features\"))"
                + ".write.save(\""
                + saved.toUri()
                + "\")",
            START);
    assertThat(printed)
        .contains("Cannot save TFEstimator to ")
        .contains("a class the Scala REPL or notebook of this session generated")
        .contains("Define the model function in a compiled class on the classpath");
    assertThat(saved).doesNotExist();
  }

  @Test
  void mappingParamsTakeScalaMaps() {
    String printed =
        repl.eval(
            String.join(
                "\n",
                "val e = new TFEstimator(classifier).setInputMapping(Map(\"x\" -> \"features\"))"
                    + ".setOutputMapping(Map(\"class\" -> \"prediction\","
                    + " \"probabilities\" -> \"probability\"))",
                "val m = new TFModel(\"m\").setInputMapping(Map(\"y\" -> \"input\"))"
                    + ".setOutputMapping(Map(\"output\" -> \"z\"))",
                "val copied = e.copy(org.apache.spark.ml.param.ParamMap("
                    + "e.inputMapping.w(Map(\"w\" -> \"features\"))))",
                "val mappings = s\"${e.getInputMapping} ${e.getOutputMapping} ${m.getInputMapping}"
                    + " ${m.getOutputMapping} ${copied.getInputMapping}\""),
            START);
    assertThat(printed)
        .contains(
            "mappings: String = {x=features} {class=prediction, probabilities=probability} {y=input}"
                + " {output=z} {w=features}");
  }
}
