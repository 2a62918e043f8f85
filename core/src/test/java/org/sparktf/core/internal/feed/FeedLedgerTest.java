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

  private static java.util.List<Integer> feedsIn(java.util.List<FeedLedger.Position> positions) {
    return positions.stream().map(p -> p.feed).sorted().toList();
  }

  @Test
  void aPartitionStillBeingTakenWhenAFeedTwoLaterBeginsIsReportedToItsEnd() {
    FeedLedger ledger = new FeedLedger();
    FeedLedger.Attempt first = ledger.begin(1, 0, 0, null, FeedLedger.Resume.NONE);
    ledger.sentAll(first, 50);
    assertThat(ledger.take(chunk(first, 0, 50), 0, 20)).isTrue();
    ledger.markStepped();
    // The feeding jobs run ahead of training: feeds 2 and 3 begin while feed 1 is taken.
    FeedLedger.Attempt second = ledger.begin(2, 0, 0, null, FeedLedger.Resume.NONE);
    ledger.sentAll(second, 50);
    FeedLedger.Attempt third = ledger.begin(3, 0, 0, null, FeedLedger.Resume.NONE);
    ledger.sentAll(third, 50);
    assertThat(ledger.take(chunk(first, 0, 50), 20, 30)).isTrue();
    ledger.markStepped();
    assertThat(ledger.stepped())
        .filteredOn(p -> p.feed == 1)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.taken.consumed).isEqualTo(50);
              assertThat(p.complete).isTrue();
            });
    // Read complete by the reporter: it leaves once a newer feed begins.
    ledger.begin(4, 0, 0, null, FeedLedger.Resume.NONE);
    assertThat(ledger.take(chunk(second, 0, 50), 0, 10)).isTrue();
    ledger.markStepped();
    assertThat(feedsIn(ledger.stepped())).containsExactly(2);
  }

  @Test
  void aCompletePartitionTheReporterHasNotReadStaysInThePosition() {
    FeedLedger ledger = new FeedLedger();
    FeedLedger.Attempt first = ledger.begin(1, 0, 0, null, FeedLedger.Resume.NONE);
    ledger.sentAll(first, 50);
    assertThat(ledger.take(chunk(first, 0, 50), 0, 50)).isTrue();
    ledger.markStepped(); // Complete, but the reporter has not read it yet.
    FeedLedger.Attempt second = ledger.begin(2, 0, 0, null, FeedLedger.Resume.NONE);
    ledger.begin(3, 0, 0, null, FeedLedger.Resume.NONE);
    assertThat(ledger.take(chunk(second, 0, 50), 0, 10)).isTrue();
    ledger.markStepped();
    assertThat(feedsIn(ledger.stepped())).containsExactly(1, 2);
  }

  @Test
  void anEmptyPartitionCountsAsCompleteOnceSent() {
    FeedLedger ledger = new FeedLedger();
    FeedLedger.Attempt empty = ledger.begin(1, 5, 0, null, FeedLedger.Resume.NONE);
    ledger.sentAll(empty, 0);
    ledger.markStepped();
    assertThat(ledger.stepped())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.partition).isEqualTo(5);
              assertThat(p.taken.consumed).isZero();
              assertThat(p.complete).isTrue();
            });
  }
}
