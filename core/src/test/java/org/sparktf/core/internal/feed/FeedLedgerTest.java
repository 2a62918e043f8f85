package org.sparktf.core.internal.feed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.sparktf.core.columnar.ColumnBatch;

/** How far a worker says training got: only rows of finished steps, from where it was told. */
class FeedLedgerTest {
  private static DataFeedImpl.Chunk chunk(FeedLedger.Attempt attempt, long firstRow, int rows) {
    return new DataFeedImpl.Chunk(
        ColumnBatch.empty(java.util.List.of()), null, attempt, firstRow, 1, rows);
  }

  @Test
  void theSteppedPositionLeavesOutTheBatchInHand() {
    FeedLedger ledger = new FeedLedger();
    FeedLedger.Attempt attempt = ledger.begin(4, 0, 0, null, FeedLedger.Resume.NONE);
    assertThat(ledger.take(chunk(attempt, 0, 100), 0, 32)).isTrue();
    ledger.markStepped(); // The next batch is asked for: the first 32 rows went through a step.
    assertThat(ledger.take(chunk(attempt, 0, 100), 32, 32)).isTrue();
    assertThat(ledger.stepped())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.taken.consumed).isEqualTo(32);
              assertThat(p.complete).isFalse();
            });
    ledger.sentAll(attempt, 64);
    ledger.markStepped();
    assertThat(ledger.stepped())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.taken.consumed).isEqualTo(64);
              assertThat(p.complete).isTrue();
            });
  }

  @Test
  void aPartitionResumedAfterARestartStartsWhereTheCheckpointLeftItOnlyWhenNothingWasTakenHere() {
    FeedLedger ledger = new FeedLedger();
    FeedLedger.Resume fromCheckpoint = new FeedLedger.Resume(40, 99, 50);
    FeedLedger.Attempt first = ledger.begin(9, 2, 0, null, fromCheckpoint);
    FeedLedger.Resume start = ledger.resume(first);
    assertThat(start.consumed).isEqualTo(40);
    assertThat(start.hash).isEqualTo(99);
    assertThat(start.hashedUpTo).isEqualTo(50);
    assertThat(ledger.take(chunk(first, 40, 10), 0, 10)).isTrue();
    // A retried task of the same feed: the worker's own count wins over the checkpoint's.
    FeedLedger.Attempt retry = ledger.begin(9, 2, 1, null, fromCheckpoint);
    assertThat(ledger.resume(retry).consumed).isEqualTo(50);
  }
}
