package org.sparktf.core;

import java.io.Closeable;

/**
 * Writes TensorBoard event files (scalars such as loss and global_step/sec) to a directory on any
 * Hadoop FileSystem. Thread-safe. The node context owns the writer it hands out and closes it when
 * the node function returns: node code must not close it. Write failures surface as {@link
 * java.io.UncheckedIOException}s naming the file.
 */
public interface SummaryWriter extends Closeable {
  /**
   * Records {@code value} for {@code tag} at {@code step}, as a float (TensorBoard's simple value).
   *
   * @throws IllegalArgumentException if {@code tag} is null or blank
   * @throws IllegalStateException if the writer is closed
   */
  void scalar(String tag, long step, double value);

  /** Makes everything written so far visible to readers (TensorBoard). */
  void flush();

  /** The directory of the event file, a Hadoop FileSystem URI. */
  String logDir();

  /** Flushes and closes the event file; closing again does nothing. */
  @Override
  void close();
}
