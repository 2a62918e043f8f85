package org.sparktf.notebooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.Leaks;

/**
 * Runs each committed note under notebooks/notes paragraph by paragraph (as Zeppelin's Spark
 * interpreter would), checks its key result, and checks that the results committed in the note
 * still have the shape this run produced. {@code -Dnotebooks.update=true} writes this run's results
 * into the notes instead (see docs/notebooks.md); that run uses the notes' default output
 * directory, /tmp/sparktf-notebooks. The batch inference note reads the model the MNIST note saves,
 * so the notes run in order, sharing one output directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotebooksTest {
  private static final Path NOTES =
      Path.of(System.getProperty("notebooks.dir", "."), "notes").toAbsolutePath();
  private static final boolean UPDATE = Boolean.getBoolean("notebooks.update");
  private static final String MNIST = "1-MNIST-pipeline_2SPARKTF1.zpln";
  private static final String CRITEO = "2-Criteo-click-prediction_2SPARKTF2.zpln";
  private static final String BATCH = "3-Batch-inference_2SPARKTF3.zpln";

  /** The validation curve: the chief samples it at global steps the asynchronous workers reach. */
  private static final Set<String> ROWS_VARY = Set.of("paragraph_2SPARKTF2_010");

  @TempDir static Path work;
  private static double mnistAccuracy = Double.NaN;

  private static Note run(String file) {
    Note note = Note.read(NOTES.resolve(file));
    List<String> committed = NoteStructure.of(note, ROWS_VARY);
    // Updates run the notes with their defaults, as a reader would, so that the committed outputs
    // show those; checks write to a directory of their own.
    Map<String, String> inputs =
        UPDATE ? Map.of() : Map.of("output", work.resolve("output").toString());
    new NoteRunner(work.resolve("repl"), inputs).run(note);
    if (UPDATE) {
      note.write(NOTES.resolve(file));
    } else {
      assertThat(NoteStructure.of(note, ROWS_VARY))
          .as(
              "results committed in %s against this run; if the change is intended, regenerate"
                  + " them: mvn -B -pl notebooks -am verify -Dnotebooks.update=true"
                  + " -Dtest=NotebooksTest -Dsurefire.failIfNoSpecifiedTests=false",
              file)
          .isEqualTo(committed);
    }
    return note;
  }

  @AfterAll
  static void noNodeLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  @Test
  @Order(1)
  void mnistPipelineLearnsTheDigits() {
    Note note = run(MNIST);

    Map<String, String> accuracy = NoteTables.table(note, "Accuracy").get(0);
    assertThat(accuracy.get("images")).isEqualTo("1000");
    mnistAccuracy = Double.parseDouble(accuracy.get("accuracy"));
    assertThat(mnistAccuracy).isGreaterThan(0.8);
    List<Map<String, String>> confusion = NoteTables.table(note, "Confusion table");
    assertThat(confusion).hasSize(10);
    assertThat(confusion.get(0).keySet())
        .containsExactly("label", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9");
    List<Map<String, String>> shown = NoteTables.table(note, "Predictions");
    assertThat(shown).hasSize(20);
    assertThat(Double.parseDouble(shown.get(0).get("probability"))).isBetween(0.0, 1.0);
  }

  @Test
  @Order(2)
  void criteoExplorationQueriesAndTrainingCurve() {
    Note note = run(CRITEO);

    assertThat(NoteTables.table(note, "Row count").get(0).get("row_count")).isEqualTo("20000");
    List<Map<String, String>> labels = NoteTables.table(note, "Label distribution");
    assertThat(labels).extracting(r -> r.get("label")).containsExactly("0", "1");
    double shares = labels.stream().mapToDouble(r -> Double.parseDouble(r.get("share"))).sum();
    assertThat(shares).isCloseTo(1.0, within(0.001));
    assertThat(NoteTables.table(note, "Histogram of I1")).hasSizeBetween(2, 20);
    assertThat(NoteTables.table(note, "Top co-occurring C1, C2 pairs")).hasSize(20);
    List<Map<String, String>> curve = NoteTables.table(note, "Validation log loss");
    assertThat(curve).hasSizeGreaterThanOrEqualTo(2);
    double last = Double.parseDouble(curve.get(curve.size() - 1).get("validation_log_loss"));
    // Training starts from zero weights, log loss ln 2; the planted model makes it learnable.
    assertThat(last).isLessThan(Math.log(2) - 0.01);
  }

  @Test
  @Order(3)
  void batchInferenceScoresEveryRecordWithTheSavedPipeline() {
    Note note = run(BATCH);

    Map<String, String> summary = NoteTables.table(note, "Summary").get(0);
    assertThat(summary.get("scored")).isEqualTo("1000");
    // The same model on the same images: the MNIST note's accuracy, when it ran in this JVM.
    if (!Double.isNaN(mnistAccuracy)) {
      assertThat(Double.parseDouble(summary.get("accuracy"))).isEqualTo(mnistAccuracy);
    }
    assertThat(NoteTables.table(note, "Predictions by class")).hasSize(10);
  }
}
