package org.sparktf.core;

/** How training data reaches the TensorFlow workers of a {@link TFCluster}. */
public enum InputMode {
  /**
   * Spark feeds DataFrame partitions to the workers: {@link TFCluster#train} and {@link
   * TFCluster#inference} stream rows as columnar batches to each worker's {@link DataFeed}.
   */
  SPARK,
  /** Each worker reads its own data (for example its shard of TFRecord files). */
  TENSORFLOW
}
