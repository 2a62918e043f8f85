package org.sparktf.tfrecord.io;

import java.io.IOException;

/** A damaged TFRecord frame; the message names the file, the byte offset and the damage. */
public final class TFRecordCorruptException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the frame. */
  public enum Kind {
    BAD_LENGTH_CRC("bad length CRC"),
    BAD_DATA_CRC("bad data CRC"),
    TRUNCATED("the file ends in the middle of a record"),
    TOO_LARGE("a record length larger than the rest of the file"),
    BAD_COMPRESSION("the compressed data is damaged");

    private final String description;

    Kind(String description) {
      this.description = description;
    }
  }

  private final Kind kind;
  private final String file;
  private final long offset;

  TFRecordCorruptException(Kind kind, String file, long offset, Throwable cause) {
    super(
        String.format(
            "Cannot read TFRecord file %s: %s at byte offset %d; the file is corrupt or was cut"
                + " short. Set mode=DROPMALFORMED or mode=PERMISSIVE to skip damaged records",
            file,
            kind.description + (cause == null ? "" : " (" + cause.getMessage() + ")"),
            offset),
        cause);
    this.kind = kind;
    this.file = file;
    this.offset = offset;
  }

  public Kind kind() {
    return kind;
  }

  public String file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
