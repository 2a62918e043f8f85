/**
 * MNIST, fully connected: the README's main job (IDX to TFRecords, SPARK and TENSORFLOW input
 * modes, a Pipeline with TFEstimator).
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.mnist;
