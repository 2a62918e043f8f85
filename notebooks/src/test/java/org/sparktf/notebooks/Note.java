package org.sparktf.notebooks;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Zeppelin note as stored in a {@code .zpln} file (Zeppelin 0.9 and later): a JSON object with
 * {@code name}, {@code id} and {@code paragraphs}, each paragraph with {@code id}, {@code title},
 * {@code text} (starting with the interpreter, such as {@code %spark}), {@code config} and {@code
 * results}. Kept as a JSON tree so that every field Zeppelin wrote survives a rewrite.
 */
final class Note {
  static final ObjectMapper JSON = new ObjectMapper();

  private final String source;
  private final ObjectNode root;

  Note(String source, ObjectNode root) {
    this.source = source;
    this.root = root;
  }

  static Note read(Path file) {
    try {
      JsonNode root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (!(root instanceof ObjectNode) || !root.path("paragraphs").isArray()) {
        throw new IllegalArgumentException(
            "Invalid note " + file + ": not a Zeppelin note (no \"paragraphs\" array)");
      }
      return new Note(file.getFileName().toString(), (ObjectNode) root);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read note " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes the note as Zeppelin does: two-space indented JSON, arrays one element a line. */
  void write(Path file) {
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter();
    printer.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
    try {
      Files.writeString(
          file, JSON.writer(printer).writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write note " + file + ": " + e.getMessage(), e);
    }
  }

  /** The note's name, with the file it came from: what failures name. */
  String describe() {
    return "'" + root.path("name").asText("?") + "' (" + source + ")";
  }

  ObjectNode root() {
    return root;
  }

  List<ObjectNode> paragraphs() {
    List<ObjectNode> paragraphs = new ArrayList<>();
    for (JsonNode paragraph : (ArrayNode) root.get("paragraphs")) {
      paragraphs.add((ObjectNode) paragraph);
    }
    return paragraphs;
  }

  /** The paragraph with this id. */
  ObjectNode paragraph(String id) {
    for (ObjectNode paragraph : paragraphs()) {
      if (paragraph.path("id").asText().equals(id)) {
        return paragraph;
      }
    }
    throw new IllegalArgumentException("Invalid paragraph id " + id + " in note " + describe());
  }
}
