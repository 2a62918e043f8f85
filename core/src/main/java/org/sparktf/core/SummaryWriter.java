package org.sparktf.core;

import java.io.Closeable;
import org.apache.hadoop.conf.Configuration;
import org.sparktf.core.internal.EventFileWriter;
import org.tensorflow.Graph;

/**
 * Writes TensorBoard event files (scalars such as loss and global_step/sec, and the model graph) to
 * a directory on any Hadoop FileSystem. Thread-safe. The node context owns the writer it hands out
 * and closes it when the node function returns: node code must not close it; whoever calls {@link
 * #open} closes that writer. Write failures surface as {@link java.io.UncheckedIOException}s naming
 * the file.
 *
 * <p>TensorBoard shows each directory holding event files as a run: evaluation metrics go to {@code
 * <modelDir>/eval}, TensorFlow's convention, so that they show beside the training run.
 */
public interface SummaryWriter extends Closeable {
  /**
   * Records {@code value} for {@code tag} at {@code step}, as a float (TensorBoard's simple value).
   *
   * @throws IllegalArgumentException if {@code tag} is null or blank
   * @throws IllegalStateException if the writer is closed
   */
  void scalar(String tag, long step, double value);

  /**
   * Records the graph for TensorBoard's Graphs tab (a serialized {@code GraphDef}, as TensorFlow's
   * own writers do). The training loop's chief writes the training graph once when it begins.
   *
   * @throws IllegalArgumentException if {@code graph} is null
   * @throws IllegalStateException if the writer is closed
   */
  void graph(Graph graph);

  /** Makes everything written so far visible to readers (TensorBoard). */
  void flush();

  /** The directory of the event file, a Hadoop FileSystem URI. */
  String logDir();

  /**
   * Opens a new event file in {@code logDir} (created if needed), named after this host and process
   * ({@code events.out.tfevents.<seconds>.<host>.<pid>.<n>}), for writing from the driver or from a
   * node: for example an evaluation job writing its metrics to {@code <modelDir>/eval}. The caller
   * closes it.
   *
   * @param logDir a Hadoop FileSystem URI or path ({@code hdfs://}, {@code file://}, ...)
   * @throws IllegalArgumentException if {@code logDir} is null or blank
   * @throws java.io.UncheckedIOException if the file cannot be created
   */
  static SummaryWriter open(Configuration conf, String logDir) {
    return EventFileWriter.open(conf, logDir, EventFileWriter.uniqueHostPart());
  }

  /** Flushes and closes the event file; closing again does nothing. */
  @Override
  void close();
}
