package org.sparktf.core;

/**
 * The rows Spark feeds to a worker in {@link InputMode#SPARK}: {@link TFCluster#train} and {@link
 * TFCluster#inference} stream DataFrame partitions to the workers as columnar batches. Used by one
 * thread, the node function's.
 *
 * <pre>{@code
 * DataFeed feed = ctx.dataFeed();
 * while (!feed.shouldStop()) {
 *   FeedBatch batch = feed.nextBatch(100);
 *   if (batch.rows() == 0) break;
 *   try (TFloat32 x = batch.float32("features"); TInt64 y = batch.int64("label")) { ... }
 * }
 * }</pre>
 */
public interface DataFeed {
  /**
   * The next batch of at most {@code maxRows} rows. Training batches have exactly {@code maxRows}
   * rows except at the end of the feed; inference batches never span two requests, so they may be
   * shorter. Returns an empty batch once the feed has ended.
   *
   * @throws TFClusterException when no data arrived within the cluster's feed timeout
   */
  FeedBatch nextBatch(int maxRows);

  /** True once the feed ended (or was terminated) and every fed row has been handed out. */
  boolean shouldStop();

  /**
   * Stops the feed early, for example when the training reached its step count: rows already queued
   * are dropped, and the remaining partitions are skipped without failing the Spark job.
   */
  void terminate();
}
