/**
 * What the examples show of a run besides TensorBoard: the scalars the chief and the evaluation
 * jobs wrote to the model directory's event files, drawn as PNG charts with the points beside them
 * as CSV ({@link org.sparktf.examples.reporting.TrainingPlots}), and the per-worker throughput
 * those charts need ({@link org.sparktf.examples.reporting.Throughput}). Public classes, so that a
 * job of your own can copy the pattern; they use only SparkTF's public API.
 *
 * <p><b>Private</b>: the example applications' helper; no compatibility promise.
 */
package org.sparktf.examples.reporting;
