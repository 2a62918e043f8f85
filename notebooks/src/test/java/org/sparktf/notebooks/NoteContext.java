package org.sparktf.notebooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The part of Zeppelin's {@code z} (ZeppelinContext) that the notes use: {@code z.show} renders a
 * DataFrame as the paragraph's next TABLE result, {@code z.input} returns a text box form's value
 * (the value the runner was given for it, else the default) and records the form in the paragraph's
 * {@code settings.forms}, as Zeppelin does.
 */
public final class NoteContext {
  private static final int MAX_RESULT = 1000;

  private final Map<String, String> inputs;
  private ParagraphOutput output;
  private ObjectNode paragraph;

  NoteContext(Map<String, String> inputs) {
    this.inputs = Map.copyOf(inputs);
  }

  void startParagraph(ObjectNode paragraph, ParagraphOutput output) {
    this.paragraph = paragraph;
    this.output = output;
  }

  /** Shows the first 1000 rows as a table (Zeppelin's default zeppelin.spark.maxResult). */
  public void show(Dataset<?> data) {
    show(data, MAX_RESULT);
  }

  /** Shows the first {@code maxResult} rows as a table. */
  public void show(Dataset<?> data, int maxResult) {
    if (output == null) {
      throw new IllegalStateException("Cannot show a table: no paragraph is running");
    }
    List<Row> rows = data.toDF().takeAsList(maxResult);
    output.table(Tables.tsv(data.columns(), rows));
  }

  /** A text box form: the value given for {@code name}, else {@code defaultValue}. */
  public Object input(String name, Object defaultValue) {
    if (paragraph == null) {
      throw new IllegalStateException("Cannot read form " + name + ": no paragraph is running");
    }
    String fallback = String.valueOf(defaultValue);
    ObjectNode settings = paragraph.with("settings");
    ObjectNode form = settings.with("forms").putObject(name);
    form.put("type", "TextBox");
    form.put("name", name);
    form.put("displayName", name);
    form.put("defaultValue", fallback);
    form.put("hidden", false);
    // The committed note keeps the defaults as its values: a run's own paths stay out of it.
    settings.with("params").put(name, fallback);
    return inputs.getOrDefault(name, fallback);
  }

  /** {@code z.input(name)}: a text box with an empty default. */
  public Object input(String name) {
    return input(name, "");
  }
}
