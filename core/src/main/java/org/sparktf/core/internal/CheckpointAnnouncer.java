package org.sparktf.core.internal;

/**
 * What a chief tells the driver around each checkpoint it saves, so that the driver records how far
 * training on the Spark feed had got with it ({@link org.sparktf.core.internal.feed.FeedTracker}).
 */
public interface CheckpointAnnouncer {
  /** For nodes that are not fed by Spark, and programs outside a cluster. */
  CheckpointAnnouncer NONE =
      new CheckpointAnnouncer() {
        @Override
        public void saving(long step) {}

        @Override
        public void saved(long step) {}
      };

  /**
   * The chief is about to save checkpoint {@code step}: returns once the driver recorded the feed
   * position (or gave no answer within a bounded wait; then the checkpoint has no position of its
   * own, and a restart from it feeds again from an earlier one: rows trained twice, none lost).
   */
  void saving(long step);

  /** Checkpoint {@code step} is complete. */
  void saved(long step);
}
