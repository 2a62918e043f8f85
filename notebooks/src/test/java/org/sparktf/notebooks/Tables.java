package org.sparktf.notebooks;

import java.util.List;
import org.apache.spark.sql.Row;

/** Zeppelin's TABLE result data: a tab-separated header line, then one line a row. */
final class Tables {
  private Tables() {}

  static String tsv(String[] columns, List<Row> rows) {
    StringBuilder table = new StringBuilder(String.join("\t", columns)).append('\n');
    for (Row row : rows) {
      for (int i = 0; i < row.size(); i++) {
        table.append(i > 0 ? "\t" : "").append(cell(row, i));
      }
      table.append('\n');
    }
    return table.toString();
  }

  /** Tabs and newlines inside a value would break the table, as Zeppelin's own rendering does. */
  private static String cell(Row row, int i) {
    return row.isNullAt(i) ? "null" : String.valueOf(row.get(i)).replaceAll("[\t\n]", " ");
  }

  /** The header line of TABLE data. */
  static String header(String data) {
    int end = data.indexOf('\n');
    return end < 0 ? data : data.substring(0, end);
  }

  /** The number of rows of TABLE data (lines after the header). */
  static int rowCount(String data) {
    String[] lines = data.split("\n", -1);
    int count = 0;
    for (int i = 1; i < lines.length; i++) {
      if (!lines[i].isEmpty()) {
        count++;
      }
    }
    return count;
  }
}
