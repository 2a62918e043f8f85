package org.sparktf.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the committed-results check compares, and what it leaves out. */
class NoteStructureTest {
  private static Note withTable(String status, String table, String text) {
    ObjectNode root = Note.JSON.createObjectNode().put("name", "n");
    ObjectNode paragraph = root.putArray("paragraphs").addObject().put("id", "p1");
    paragraph.put("status", status).put("dateFinished", text);
    ObjectNode results = paragraph.putObject("results").put("code", "SUCCESS");
    ArrayNode msg = results.putArray("msg");
    msg.addObject().put("type", "TABLE").put("data", table);
    msg.addObject().put("type", "TEXT").put("data", text);
    return new Note("n.zpln", root);
  }

  @Test
  void valuesTimesAndPrintedTextDoNotCount() {
    Note committed = withTable("FINISHED", "step\tloss\n0\t0.693\n10\t0.52\n", "took 3.1 s");
    Note rerun = withTable("FINISHED", "step\tloss\n0\t0.693\n12\t0.49\n", "took 5.7 s");

    assertThat(NoteStructure.of(rerun, Set.of())).isEqualTo(NoteStructure.of(committed, Set.of()));
    assertThat(NoteStructure.of(committed, Set.of()))
        .containsExactly("p1 FINISHED SUCCESS | TABLE [step,loss] rows=2 | TEXT");
  }

  @Test
  void headersRowCountsAndStatusCount() {
    Note committed = withTable("FINISHED", "step\tloss\n0\t0.693\n10\t0.52\n", "");
    Note renamed = withTable("FINISHED", "step\tlog_loss\n0\t0.693\n10\t0.52\n", "");
    Note shorter = withTable("FINISHED", "step\tloss\n0\t0.693\n", "");
    Note failed = withTable("ERROR", "step\tloss\n0\t0.693\n10\t0.52\n", "");

    for (Note changed : new Note[] {renamed, shorter, failed}) {
      assertThat(NoteStructure.of(changed, Set.of()))
          .isNotEqualTo(NoteStructure.of(committed, Set.of()));
    }
    // Where the row count depends on the run, only having rows counts.
    assertThat(NoteStructure.of(shorter, Set.of("p1")))
        .isEqualTo(NoteStructure.of(committed, Set.of("p1")));
  }
}
