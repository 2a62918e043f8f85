/**
 * Spark ML stages: {@link org.sparktf.ml.TFEstimator} trains a model defined in Java on a
 * TensorFlow cluster of Spark executors and returns a {@link org.sparktf.ml.TFModel}, which scores
 * DataFrames with any SavedModel. Both are savable in Pipelines.
 *
 * <p><b>API</b>: the public types here are supported; Param names and their defaults are part of
 * the contract, as are saved stages (a stage saved by one 0.x release loads in the next).
 */
package org.sparktf.ml;
