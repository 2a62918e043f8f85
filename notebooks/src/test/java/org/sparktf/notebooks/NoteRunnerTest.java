package org.sparktf.notebooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner itself: what it runs, what it records, and that a broken paragraph fails the run. */
class NoteRunnerTest {
  @TempDir Path dir;

  private static Note note(String name, String... texts) {
    ObjectNode root = Note.JSON.createObjectNode().put("name", name).put("id", "2TEST0001");
    ArrayNode paragraphs = root.putArray("paragraphs");
    for (int i = 0; i < texts.length; i++) {
      paragraphs
          .addObject()
          .put("id", "paragraph_" + (i + 1))
          .put("title", "step " + (i + 1))
          .put("text", texts[i]);
    }
    return new Note(name + ".zpln", root);
  }

  @Test
  void runsScalaClosuresOnExecutorsAndRecordsZeppelinResults() {
    Note note =
        note(
            "smoke",
            "%md\n# Title\nsome *text*",
            "%spark\ncase class Point(x: Int, y: Int)\n"
                + "val points = spark.createDataset((1 to 100).map(i => Point(i, i * i)))\n"
                + "val total = sc.parallelize(1 to 10).map(_ * 2).sum\n"
                + "println(s\"total $total\")\n"
                + "points.createOrReplaceTempView(\"points\")\n"
                + "z.show(points.filter($\"x\" <= z.input(\"upTo\", \"3\").toString.toInt))",
            "%sql\nSELECT x % 2 AS parity, COUNT(*) AS n FROM points GROUP BY x % 2 ORDER BY parity");

    new NoteRunner(dir, Map.of("upTo", "5")).run(note);

    ObjectNode md = note.paragraph("paragraph_1");
    assertThat(md.at("/results/msg/0/type").asText()).isEqualTo("HTML");
    assertThat(md.at("/results/msg/0/data").asText()).contains("<h1>Title</h1>", "<em>text</em>");
    ObjectNode spark = note.paragraph("paragraph_2");
    assertThat(spark.path("status").asText()).isEqualTo("FINISHED");
    assertThat(spark.at("/results/msg/0/type").asText()).isEqualTo("TEXT");
    assertThat(spark.at("/results/msg/0/data").asText()).contains("total 110.0");
    assertThat(spark.at("/results/msg/1/type").asText()).isEqualTo("TABLE");
    assertThat(spark.at("/results/msg/1/data").asText())
        .isEqualTo("x\ty\n1\t1\n2\t4\n3\t9\n4\t16\n5\t25\n");
    assertThat(spark.at("/settings/forms/upTo/defaultValue").asText()).isEqualTo("3");
    ObjectNode sql = note.paragraph("paragraph_3");
    assertThat(sql.at("/results/msg/0/data").asText()).isEqualTo("parity\tn\n0\t50\n1\t50\n");
  }

  @Test
  void aScalaCompileErrorFailsTheRunAndNamesNoteAndParagraph() {
    Note note = note("broken", "%spark\nval ok = 1", "%spark\nval broken: Int = \"not a number\"");

    assertThatThrownBy(() -> new NoteRunner(dir, Map.of()).run(note))
        .isInstanceOf(NoteFailure.class)
        .hasMessageContaining("Cannot run note 'broken' (broken.zpln)")
        .hasMessageContaining("paragraph 2 (id paragraph_2, title 'step 2') failed")
        .hasMessageContaining("type mismatch");
    assertThat(note.paragraph("paragraph_1").path("status").asText()).isEqualTo("FINISHED");
    assertThat(note.paragraph("paragraph_2").path("status").asText()).isEqualTo("ERROR");
  }

  @Test
  void anExceptionOnAnExecutorFailsTheRun() {
    Note note =
        note(
            "throws",
            "%spark\nsc.parallelize(1 to 4, 2).map(i => if (i == 3) throw new"
                + " IllegalStateException(\"bad row \" + i) else i).count()",
            "%spark\nprintln(\"never runs\")");

    assertThatThrownBy(() -> new NoteRunner(dir, Map.of()).run(note))
        .isInstanceOf(NoteFailure.class)
        .hasMessageContaining("Cannot run note 'throws'")
        .hasMessageContaining("paragraph 1 (id paragraph_1")
        .hasMessageContaining("bad row 3");
    assertThat(note.paragraph("paragraph_2").has("results")).isFalse();
  }

  @Test
  void aFailingQueryFailsTheRun() {
    Note note = note("sql", "%md\nintro", "%sql\nSELECT * FROM no_such_view");

    assertThatThrownBy(() -> new NoteRunner(dir, Map.of()).run(note))
        .isInstanceOf(NoteFailure.class)
        .hasMessageContaining("Cannot run note 'sql' (sql.zpln): paragraph 2 (id paragraph_2")
        .hasMessageContaining("no_such_view");
  }

  @Test
  void anUnknownInterpreterFailsTheRun() {
    Note note = note("python", "%python\nprint(1)");

    assertThatThrownBy(() -> new NoteRunner(dir, Map.of()).run(note))
        .isInstanceOf(NoteFailure.class)
        .hasMessageContaining("paragraph 1 (id paragraph_1")
        .hasMessageContaining("interpreter %python is not one the notes may use");
  }
}
