package org.sparktf.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tables a run left in a note's results, read as a reader of the note sees them. */
final class NoteTables {
  private NoteTables() {}

  /** The first TABLE result of the paragraph titled {@code title}: one map a row, by column. */
  static List<Map<String, String>> table(Note note, String title) {
    for (ObjectNode paragraph : note.paragraphs()) {
      if (!paragraph.path("title").asText().equals(title)) {
        continue;
      }
      for (JsonNode message : paragraph.at("/results/msg")) {
        if (message.path("type").asText().equals("TABLE")) {
          return rows(message.path("data").asText());
        }
      }
      throw new AssertionError(
          "Paragraph '" + title + "' of note " + note.describe() + " has no TABLE result");
    }
    throw new AssertionError(
        "Note " + note.describe() + " has no paragraph titled '" + title + "'");
  }

  private static List<Map<String, String>> rows(String data) {
    String[] lines = data.split("\n");
    String[] header = lines[0].split("\t", -1);
    List<Map<String, String>> rows = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String[] cells = lines[i].split("\t", -1);
      Map<String, String> row = new LinkedHashMap<>();
      for (int c = 0; c < header.length; c++) {
        row.put(header[c], c < cells.length ? cells[c] : "");
      }
      rows.add(row);
    }
    return rows;
  }
}
