package org.sparktf.core;

import java.util.List;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * A batch of fed rows as tensors, one per column, whose first dimension is the row count. Every
 * method returning a tensor creates a new one that the caller closes.
 */
public interface FeedBatch {
  /** The number of rows. */
  int rows();

  /** The fed column names. */
  List<String> columns();

  /**
   * The column in its natural type: float/double/int/long/boolean scalars, arrays and ML vectors
   * (shape [rows, n]) as numeric tensors; strings and binary as {@link TString}.
   */
  Tensor tensor(String column);

  /** A numeric column cast to float32. */
  TFloat32 float32(String column);

  /** A numeric column cast to float64. */
  TFloat64 float64(String column);

  /** A numeric column cast to int32. */
  TInt32 int32(String column);

  /** A numeric column cast to int64. */
  TInt64 int64(String column);

  /** A string or binary column. */
  TString strings(String column);

  /**
   * Inference only: the outputs for this batch's rows, by output column name. Each tensor's first
   * dimension must equal {@link #rows()}. The tensors are read at once; the caller still closes
   * them.
   */
  void respond(Map<String, ? extends Tensor> outputs);
}
