package org.sparktf.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The shape of a note's results, which a rerun must reproduce: per paragraph its id, status and
 * result types, and for each table its column header and row count. Timings, printed numbers and
 * float digits are left out: they differ from run to run. Tables whose row count depends on the run
 * (a curve sampled by an asynchronous chief) record only that they have rows.
 */
final class NoteStructure {
  private NoteStructure() {}

  static List<String> of(Note note, Set<String> rowsVary) {
    List<String> lines = new ArrayList<>();
    for (ObjectNode paragraph : note.paragraphs()) {
      String id = paragraph.path("id").asText();
      StringBuilder line =
          new StringBuilder(id)
              .append(' ')
              .append(paragraph.path("status").asText("READY"))
              .append(' ')
              .append(paragraph.at("/results/code").asText("-"));
      for (JsonNode message : paragraph.at("/results/msg")) {
        String type = message.path("type").asText();
        line.append(" | ").append(type);
        if (type.equals("TABLE")) {
          String data = message.path("data").asText();
          int rows = Tables.rowCount(data);
          line.append(" [")
              .append(Tables.header(data).replace('\t', ','))
              .append("] ")
              .append(rowsVary.contains(id) ? (rows > 0 ? "rows>0" : "rows=0") : "rows=" + rows);
        }
      }
      lines.add(line.toString());
    }
    return lines;
  }
}
