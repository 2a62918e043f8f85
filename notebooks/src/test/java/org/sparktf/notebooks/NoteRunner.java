package org.sparktf.notebooks;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Runs a note's paragraphs in order, as Zeppelin's Spark interpreter group would: %md through a
 * markdown renderer, %spark in Spark's Scala REPL with {@code spark}, {@code sc} and {@code z}
 * bound, %sql (or %spark.sql) through {@code spark.sql}. Each run gets its own Spark session
 * ({@code local[4]}: a TensorFlow cluster of 1 PS + 2 workers takes 3 task slots) and REPL, stopped
 * afterwards. Results, status and times are written into the note's paragraphs as Zeppelin writes
 * them. The first failing paragraph stops the run with a {@link NoteFailure} that names the note
 * and the paragraph.
 */
final class NoteRunner {
  private static final DateTimeFormatter ZEPPELIN_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
  private static final int SQL_MAX_RESULT = 1000;

  private final Path workDir;
  private final Map<String, String> inputs;

  /**
   * @param workDir where the REPL's classes go (a fresh directory under it for each run)
   * @param inputs values for the notes' {@code z.input} forms, by name; unset forms use defaults
   */
  NoteRunner(Path workDir, Map<String, String> inputs) {
    this.workDir = workDir;
    this.inputs = Map.copyOf(inputs);
  }

  /** Runs every enabled paragraph of {@code note}; its paragraphs then hold the results. */
  void run(Note note) {
    Path classDir = createClassDir();
    NoteContext z = new NoteContext(inputs);
    SparkSession spark =
        SparkSession.builder()
            .master("local[4]")
            .appName("Zeppelin note " + note.root().path("name").asText())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            // The driver serves the REPL's classes to the executors from here, as in spark-shell.
            .config("spark.repl.class.outputDir", classDir.toString())
            .getOrCreate();
    ReplBindings.set(spark, z);
    ScalaRepl repl = null;
    try {
      List<ObjectNode> paragraphs = note.paragraphs();
      for (int i = 0; i < paragraphs.size(); i++) {
        ObjectNode paragraph = paragraphs.get(i);
        if (!paragraph.path("config").path("enabled").asBoolean(true)) {
          continue;
        }
        String text = paragraph.path("text").asText("");
        Interpreter interpreter;
        try {
          interpreter = Interpreter.of(text);
        } catch (IllegalArgumentException e) {
          throw failure(note, i, paragraph, e.getMessage(), e);
        }
        if (interpreter == Interpreter.SPARK && repl == null) {
          repl = startRepl(classDir, note, i, paragraph);
        }
        runParagraph(note, i, paragraph, interpreter, text, spark, repl, z);
      }
    } finally {
      ReplBindings.clear();
      if (repl != null) {
        repl.close();
      }
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
      deleteTree(classDir);
    }
  }

  private ScalaRepl startRepl(Path classDir, Note note, int index, ObjectNode paragraph) {
    ScalaRepl repl = new ScalaRepl(classDir);
    ParagraphOutput output = new ParagraphOutput();
    if (!repl.run(ReplBindings.INIT, output)) {
      repl.close();
      throw failure(
          note, index, paragraph, "the REPL did not start: " + output.pendingText(), null);
    }
    return repl;
  }

  private void runParagraph(
      Note note,
      int index,
      ObjectNode paragraph,
      Interpreter interpreter,
      String text,
      SparkSession spark,
      ScalaRepl repl,
      NoteContext z) {
    ParagraphOutput output = new ParagraphOutput();
    z.startParagraph(paragraph, output);
    String body = interpreter.body(text);
    paragraph.put("dateStarted", LocalDateTime.now().format(ZEPPELIN_TIME));
    String error = null;
    Throwable cause = null;
    switch (interpreter) {
      case MD -> output.html(markdown(body));
      case SQL -> {
        try {
          Dataset<Row> result = spark.sql(body);
          output.table(Tables.tsv(result.columns(), result.takeAsList(SQL_MAX_RESULT)));
        } catch (Exception e) { // Scala code throws AnalysisException undeclared
          error = e.toString();
          cause = e;
        }
      }
      case SPARK -> {
        if (!repl.run(body, output)) {
          error = "the Scala code failed";
        }
      }
    }
    List<ParagraphOutput.Message> messages = output.finish();
    paragraph.put("dateFinished", LocalDateTime.now().format(ZEPPELIN_TIME));
    ObjectNode results = paragraph.putObject("results");
    results.put("code", error == null ? "SUCCESS" : "ERROR");
    ArrayNode msg = results.putArray("msg");
    for (ParagraphOutput.Message message : messages) {
      msg.addObject().put("type", message.type()).put("data", message.data());
    }
    if (error != null) {
      msg.addObject().put("type", "TEXT").put("data", error);
      paragraph.put("status", "ERROR");
      StringBuilder printed = new StringBuilder();
      messages.forEach(m -> printed.append(m.data()));
      throw failure(note, index, paragraph, error + "\n" + tail(printed.toString()), cause);
    }
    paragraph.put("status", "FINISHED");
  }

  private static NoteFailure failure(
      Note note, int index, ObjectNode paragraph, String reason, Throwable cause) {
    return new NoteFailure(
        "Cannot run note "
            + note.describe()
            + ": paragraph "
            + (index + 1)
            + " (id "
            + paragraph.path("id").asText("?")
            + ", title '"
            + paragraph.path("title").asText("")
            + "') failed: "
            + reason,
        cause);
  }

  /** The end of what a failed paragraph printed: where the REPL reports the error. */
  private static String tail(String printed) {
    int max = 4000;
    return printed.length() <= max ? printed : "..." + printed.substring(printed.length() - max);
  }

  private static String markdown(String body) {
    String html = HtmlRenderer.builder().build().render(Parser.builder().build().parse(body));
    return "<div class=\"markdown-body\">\n" + html + "\n</div>";
  }

  private Path createClassDir() {
    try {
      Files.createDirectories(workDir);
      return Files.createTempDirectory(workDir, "repl-classes-");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create the REPL class directory under " + workDir + ": " + e.getMessage(), e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
