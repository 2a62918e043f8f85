package org.sparktf.datasource.tfrecord.internal;

import org.apache.spark.sql.types.DataType;

/**
 * Builds the user-facing errors of the tfrecord data source, so their wording stays consistent:
 * "Cannot &lt;action&gt;: &lt;reason&gt;" or "Invalid &lt;thing&gt;: &lt;value&gt;", each with the
 * fix.
 */
public final class TFRecordErrors {
  private TFRecordErrors() {}

  public static IllegalArgumentException invalidOption(String key, String value, String accepted) {
    return new IllegalArgumentException(
        String.format(
            "Invalid %s: '%s'; expected %s (option '%s' of the tfrecord source)",
            key, value, accepted, key));
  }

  public static IllegalArgumentException conflictingCompression(String compression, String codec) {
    return new IllegalArgumentException(
        String.format(
            "Invalid compression: option compression=%s contradicts codec=%s; set only one of them",
            compression, codec));
  }

  public static IllegalArgumentException corruptColumnNotString(String column, DataType type) {
    return new IllegalArgumentException(
        String.format(
            "Invalid schema: the corrupt record column '%s' has type %s; it must be a nullable string"
                + " (or rename it with option columnNameOfCorruptRecord)",
            column, type.simpleString()));
  }

  /** A record whose bytes are intact but whose content does not fit the schema (FAILFAST). */
  public static IllegalArgumentException cannotDecode(
      String file, long offset, RuntimeException cause) {
    return new IllegalArgumentException(
        String.format(
            "Cannot read TFRecord file %s: record at byte offset %d does not match the schema: %s."
                + " Fix the schema, or set mode=DROPMALFORMED or mode=PERMISSIVE to skip such records",
            file, offset, cause.getMessage()),
        cause);
  }

  /** The message PERMISSIVE mode stores in the corrupt record column for a bad-content record. */
  public static String decodeFailureNote(String file, long offset, RuntimeException cause) {
    return String.format("%s at byte offset %d: %s", file, offset, cause.getMessage());
  }

  public static IllegalStateException cannotInferSchema(String file, Exception cause) {
    return new IllegalStateException(
        String.format("Cannot infer schema: reading %s failed: %s", file, cause.getMessage()),
        cause);
  }

  /**
   * An intact frame whose bytes are not a valid record, met by schema inference in any mode: a
   * half-parsed record would leave partial observations behind, so it is not skipped.
   */
  public static IllegalArgumentException undecodableWhileInferring(
      long offset, RuntimeException cause) {
    return new IllegalArgumentException(
        String.format(
            "the record at byte offset %d cannot be parsed (%s); pass an explicit schema with"
                + " .schema(...), and set mode=DROPMALFORMED or mode=PERMISSIVE to skip such"
                + " records",
            offset, cause.getMessage()),
        cause);
  }

  public static IllegalArgumentException byteArrayNeedsOneBinaryColumn(String schema) {
    return new IllegalArgumentException(
        String.format(
            "Invalid schema for recordType=ByteArray: %s; it must be exactly one binary column"
                + " (by convention 'value')",
            schema));
  }

  public static IllegalArgumentException unsupportedType(
      String action, String column, DataType type) {
    return new IllegalArgumentException(
        String.format(
            "Cannot %s column '%s': type %s is not supported by TFRecord; cast it to a number,"
                + " string, binary, an array of these, array<array<...>> (SequenceExample) or an"
                + " ML vector",
            action, column, type.simpleString()));
  }

  public static IllegalArgumentException nestedNeedsSequenceExample(
      String action, String column, DataType type) {
    return new IllegalArgumentException(
        String.format(
            "Cannot %s column '%s': %s is a list of lists, which only a FeatureList holds; set"
                + " recordType=SequenceExample",
            action, column, type.simpleString()));
  }

  public static IllegalArgumentException nullArrayElement(String column, int index) {
    return new IllegalArgumentException(
        String.format(
            "Cannot write column '%s': element %d of the array is null; TFRecord lists cannot"
                + " hold nulls; fill or filter nulls first",
            column, index));
  }

  public static IllegalArgumentException inferenceConflict(
      String feature, String kindA, String fileA, String kindB, String fileB) {
    return new IllegalArgumentException(
        String.format(
            "Cannot infer schema: feature '%s' is %s in %s but %s in %s; pass an explicit schema"
                + " with .schema(...)",
            feature, kindA, fileA, kindB, fileB));
  }
}
