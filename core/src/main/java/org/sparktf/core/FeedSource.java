package org.sparktf.core;

import java.util.Optional;
import java.util.function.Function;

/** {@link BatchSource#feed}: the rows of a {@link DataFeed}, a batch at a time. */
final class FeedSource implements BatchSource {
  private final DataFeed feed;
  private final int batchSize;
  private final boolean fullBatchesOnly;
  private final Function<FeedBatch, Batch> toBatch;

  FeedSource(
      DataFeed feed, int batchSize, boolean fullBatchesOnly, Function<FeedBatch, Batch> toBatch) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("Invalid batch size: " + batchSize + "; it must be >= 1");
    }
    this.feed = feed;
    this.batchSize = batchSize;
    this.fullBatchesOnly = fullBatchesOnly;
    this.toBatch = toBatch;
  }

  @Override
  public Optional<Batch> next() {
    if (feed.shouldStop()) {
      return Optional.empty();
    }
    FeedBatch rows = feed.nextBatch(batchSize);
    if (rows.rows() == 0 || (fullBatchesOnly && rows.rows() < batchSize)) {
      return Optional.empty();
    }
    return Optional.of(toBatch.apply(rows));
  }

  @Override
  public void stopEarly() {
    feed.terminate();
  }
}
