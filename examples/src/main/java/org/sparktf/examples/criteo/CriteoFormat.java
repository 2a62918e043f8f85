package org.sparktf.examples.criteo;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Criteo click logs' line format: a 0/1 label, 13 integer features I1..I13 and 26 categorical
 * features C1..C26 (hashed to 8 hex characters), separated by tabs; an empty field is a missing
 * value. This is the format of both the Criteo 1TB day files and the Kaggle display-ads set.
 */
final class CriteoFormat {
  static final int NUMERIC = 13;
  static final int CATEGORICAL = 26;
  static final int FIELDS = 1 + NUMERIC + CATEGORICAL;
  static final String LABEL = "label";

  /** label (long), I1..I13 (long), C1..C26 (string); every feature nullable. */
  static final StructType SCHEMA = schema();

  private CriteoFormat() {}

  static String numericName(int i) {
    return "I" + (i + 1);
  }

  static String categoricalName(int i) {
    return "C" + (i + 1);
  }

  static List<String> featureNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < NUMERIC; i++) {
      names.add(numericName(i));
    }
    for (int i = 0; i < CATEGORICAL; i++) {
      names.add(categoricalName(i));
    }
    return names;
  }

  private static StructType schema() {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField(LABEL, DataTypes.LongType, false));
    for (int i = 0; i < NUMERIC; i++) {
      fields.add(DataTypes.createStructField(numericName(i), DataTypes.LongType, true));
    }
    for (int i = 0; i < CATEGORICAL; i++) {
      fields.add(DataTypes.createStructField(categoricalName(i), DataTypes.StringType, true));
    }
    return DataTypes.createStructType(fields);
  }

  /**
   * The 40 values of one line, in {@link #SCHEMA} order (null for empty fields).
   *
   * @throws IllegalArgumentException "Invalid Criteo line: ..." with the reason and the line, when
   *     it does not have 40 tab-separated fields, its label is not 0 or 1, or an integer feature is
   *     not an integer
   */
  static Object[] parse(String line) {
    String[] fields = line.split("\t", -1);
    if (fields.length != FIELDS) {
      throw malformed(line, fields.length + " tab-separated fields instead of " + FIELDS);
    }
    Object[] values = new Object[FIELDS];
    if (!fields[0].equals("0") && !fields[0].equals("1")) {
      throw malformed(line, "label '" + fields[0] + "' is not 0 or 1");
    }
    values[0] = fields[0].equals("1") ? 1L : 0L;
    for (int i = 1; i <= NUMERIC; i++) {
      String field = fields[i];
      if (!field.isEmpty()) {
        try {
          values[i] = Long.parseLong(field);
        } catch (NumberFormatException e) {
          throw malformed(line, numericName(i - 1) + " '" + field + "' is not an integer");
        }
      }
    }
    for (int i = 1 + NUMERIC; i < FIELDS; i++) {
      values[i] = fields[i].isEmpty() ? null : fields[i];
    }
    return values;
  }

  private static IllegalArgumentException malformed(String line, String reason) {
    String shown = line.length() > 400 ? line.substring(0, 400) + "..." : line;
    return new IllegalArgumentException(
        "Invalid Criteo line: " + reason + ": '" + shown.replace("\t", "\\t") + "'");
  }

  /** The line for the given values, in {@link #SCHEMA} order: the inverse of {@link #parse}. */
  static String format(Object[] values) {
    StringBuilder line = new StringBuilder(200);
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        line.append('\t');
      }
      if (values[i] != null) {
        line.append(values[i]);
      }
    }
    return line.toString();
  }
}
