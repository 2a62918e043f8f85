package org.sparktf.core;

/**
 * Receives a cluster's training progress on the driver ({@link TFCluster#addProgressListener}): at
 * every progress interval while training runs, at the end of every epoch of {@link TFCluster#train}
 * and once when the workers finished. Called on a SparkTF thread or the thread that called train or
 * shutdown; keep it quick. An exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface ProgressListener {
  void onProgress(TrainingProgress progress);
}
