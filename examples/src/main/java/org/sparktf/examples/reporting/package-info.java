/**
 * What the examples show of a run besides TensorBoard: the scalars the chief and the evaluation
 * jobs wrote to the model directory's event files, drawn as PNG charts with the points beside them
 * as CSV ({@link org.sparktf.examples.reporting.TrainingPlots}), and the per-worker throughput
 * those charts need ({@link org.sparktf.examples.reporting.Throughput}).
 */
package org.sparktf.examples.reporting;
