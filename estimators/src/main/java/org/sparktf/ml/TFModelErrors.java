package org.sparktf.ml;

/** The errors a scoring task reports, worded in one place. */
final class TFModelErrors {
  private TFModelErrors() {}

  static IllegalArgumentException nullValue(String column, long row) {
    return new IllegalArgumentException(
        "Cannot feed column '"
            + column
            + "': row "
            + row
            + " of the partition is null; drop or fill nulls first (df.na().drop() or"
            + " df.na().fill(...))");
  }

  static IllegalArgumentException nullElement(String column, long row) {
    return new IllegalArgumentException(
        "Cannot feed column '"
            + column
            + "': the array in row "
            + row
            + " of the partition holds a null element; replace nulls first (e.g. with"
            + " transform(col, x -> coalesce(x, 0)))");
  }

  static IllegalArgumentException ragged(String column, long row, int width, int expected) {
    return new IllegalArgumentException(
        "Cannot feed column '"
            + column
            + "': row "
            + row
            + " of the partition has "
            + width
            + " values, earlier rows of its batch have "
            + expected
            + "; every row of a fed array or vector column must have the same length");
  }

  static IllegalStateException missingOutput(String output) {
    return new IllegalStateException(
        "Cannot score: the model returned no output " + output + "; check outputMapping");
  }

  static IllegalArgumentException badOutputShape(String output, Object shape, int rows) {
    return new IllegalArgumentException(
        "Invalid output '"
            + output
            + "': shape "
            + shape
            + ", expected a first dimension of "
            + rows
            + " (one value per input row)");
  }

  static RuntimeException scoringFailed(String exportDir, int rows, Throwable cause) {
    if (cause instanceof RuntimeException
        && cause.getMessage() != null
        && cause.getMessage().startsWith("Cannot ")) {
      return (RuntimeException) cause;
    }
    return new IllegalStateException(
        "Cannot score a batch of "
            + rows
            + " rows with the SavedModel at "
            + exportDir
            + ": "
            + cause,
        cause);
  }
}
