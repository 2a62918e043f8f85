package org.sparktf.notebooks;

/** A paragraph of a note failed: names the note and the paragraph, with what it printed. */
final class NoteFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  NoteFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
