package org.sparktf.datasource.tfrecord;

import java.util.Locale;
import org.sparktf.datasource.tfrecord.internal.TFRecordErrors;

/** What each record of a TFRecord file holds. */
public enum TFRecordType {
  /** A {@code tf.train.Example}: one feature per column. */
  EXAMPLE,
  /** A {@code tf.train.SequenceExample}: context features, and feature lists for nested arrays. */
  SEQUENCE_EXAMPLE,
  /** The raw record bytes, as one binary column. */
  BYTE_ARRAY;

  /** Parses the {@code recordType} option (case-insensitive). */
  public static TFRecordType fromOption(String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "example":
        return EXAMPLE;
      case "sequenceexample":
        return SEQUENCE_EXAMPLE;
      case "bytearray":
        return BYTE_ARRAY;
      default:
        throw TFRecordErrors.invalidOption(
            "recordType", value, "one of Example, SequenceExample, ByteArray");
    }
  }
}
