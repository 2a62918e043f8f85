package org.sparktf.datasource.tfrecord.internal;

/**
 * A record whose bytes are intact but whose content does not fit the schema or is not a valid
 * Example. The reader adds the file and byte offset.
 */
public final class TFRecordDecodeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public TFRecordDecodeException(String message) {
    super(message);
  }
}
