package org.sparktf.core.internal.feed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparktf.core.columnar.ColumnBatch;

/**
 * The driver's record of the feed position: what it keeps from the workers' reports, which position
 * goes with a checkpoint, and where a restarted cluster feeds again from.
 */
class FeedTrackerTest {
  private static FeedLedger.Position taken(int feed, int partition, long rows, boolean complete) {
    return new FeedLedger.Position(
        feed, partition, new FeedLedger.Resume(rows, 7 * rows, rows + 3), complete);
  }

  private static ArrayNode report(FeedLedger.Position... positions) {
    return FeedTracker.toJson(List.of(positions));
  }

  @Test
  void theCheckpointKeepsThePositionRecordedBeforeItsSaveNotLaterReports() {
    FeedTracker tracker = new FeedTracker(FeedPosition.START);
    tracker.runStarted(11, 0, 2);
    tracker.report(report(taken(11, 0, 50, true), taken(11, 1, 20, false)));
    tracker.checkpointing(70);
    // Taken while the chief saves: not in the checkpoint, so not in its position.
    tracker.report(report(taken(11, 1, 50, true)));
    tracker.runStarted(12, 1, 2);
    tracker.report(report(taken(12, 0, 10, false)));
    assertThat(tracker.committed()).isNull();
    tracker.checkpointed(70);

    FeedPosition atCheckpoint = tracker.committed();
    assertThat(atCheckpoint.finished(0)).isFalse();
    assertThat(atCheckpoint.firstUnfinishedRun()).isZero();
    assertThat(atCheckpoint.starts(0)).containsOnlyKeys(0, 1);
    assertThat(atCheckpoint.starts(0).get(1).consumed).isEqualTo(20);
    assertThat(atCheckpoint.starts(0).get(1).hash).isEqualTo(140);
    assertThat(atCheckpoint.starts(0).get(1).hashedUpTo).isEqualTo(23);
    assertThat(atCheckpoint.starts(1)).isEmpty();
    // Now, by contrast, run 0 is done and run 1 under way.
    assertThat(tracker.position().finished(0)).isTrue();
    assertThat(tracker.position().firstUnfinishedRun()).isEqualTo(1);
  }

  @Test
  void aReportThatArrivesLateNeverMovesAPartitionBack() {
    FeedTracker tracker = new FeedTracker(FeedPosition.START);
    tracker.runStarted(3, 0, 1);
    tracker.report(report(taken(3, 0, 40, false)));
    tracker.report(report(taken(3, 0, 30, false)));
    assertThat(tracker.position().starts(0).get(0).consumed).isEqualTo(40);
    tracker.report(report(taken(3, 0, 40, true)));
    assertThat(tracker.position().finished(0)).isTrue();
  }

  @Test
  void feedsThatAreNotTrainingRunsAreNotRecorded() {
    FeedTracker tracker = new FeedTracker(FeedPosition.START);
    tracker.report(report(taken(5, 0, 40, true)));
    assertThat(tracker.position().rowsTrained()).isZero();
    assertThat(tracker.position().firstUnfinishedRun()).isZero();
  }

  @Test
  void aRestartedClusterStartsFromItsCheckpointsPositionAndFeedsOnFromThere() {
    FeedTracker first = new FeedTracker(FeedPosition.START);
    first.runStarted(1, 0, 2);
    first.report(report(taken(1, 0, 50, true), taken(1, 1, 50, true)));
    first.runStarted(2, 1, 2);
    first.report(report(taken(2, 0, 25, false)));
    first.checkpointing(70);
    first.checkpointed(70);
    FeedPosition restored = first.committed();
    assertThat(restored.firstUnfinishedRun()).isEqualTo(1);
    assertThat(restored.finished(0)).isTrue();

    // The next start feeds run 1 again under another feed id; its workers report absolute rows.
    FeedTracker second = new FeedTracker(restored);
    assertThat(second.committed()).isNull();
    second.runStarted(3, 1, 2);
    second.checkpointing(80);
    second.checkpointed(80);
    // Nothing reported yet: the position is still the restored one, not "nothing trained".
    assertThat(second.committed().firstUnfinishedRun()).isEqualTo(1);
    assertThat(second.committed().starts(1).get(0).consumed).isEqualTo(25);
    second.report(report(taken(3, 0, 50, true), taken(3, 1, 50, true)));
    assertThat(second.position().finished(1)).isTrue();
    assertThat(second.position().firstUnfinishedRun()).isEqualTo(2);
  }

  @Test
  void aConfirmationWithoutItsRecordChangesNothing() {
    FeedTracker tracker = new FeedTracker(FeedPosition.START);
    tracker.runStarted(1, 0, 1);
    tracker.report(report(taken(1, 0, 10, false)));
    tracker.checkpointed(50);
    assertThat(tracker.committed()).isNull();
  }

  /**
   * One worker's feed as the node sees it: partitions of 50 rows, one frame each, and the reports
   * its reporter thread sends to the driver's tracker.
   */
  private static final class Worker {
    static final int ROWS = 50;
    final FeedLedger ledger = new FeedLedger();
    final FeedTracker tracker;
    final Map<Long, FeedLedger.Attempt> attempts = new HashMap<>();
    // Rows the node function took, by feed and partition.
    final Map<Long, Long> took = new HashMap<>();

    Worker(FeedTracker tracker) {
      this.tracker = tracker;
    }

    /** A feeding task of {@code feed} connects, queues its partition's frame and ends. */
    void fed(int feed, int partition) {
      FeedLedger.Attempt attempt = ledger.begin(feed, partition, 0, null, FeedLedger.Resume.NONE);
      ledger.sentAll(attempt, ROWS);
      attempts.put(FeedPosition.key(feed, partition), attempt);
    }

    /** The node function takes {@code rows} of the partition, steps, and asks for a batch. */
    void trains(int feed, int partition, int rows) {
      long key = FeedPosition.key(feed, partition);
      long from = took.getOrDefault(key, 0L);
      DataFeedImpl.Chunk frame =
          new DataFeedImpl.Chunk(
              ColumnBatch.empty(List.of()), null, attempts.get(key), 0, 17 * partition, ROWS);
      assertThat(ledger.take(frame, (int) from, rows)).isTrue();
      took.put(key, from + rows);
      ledger.markStepped();
    }

    /** The reporter thread sends the stepped position (every 200 ms when it changed). */
    void reports() {
      tracker.report(FeedTracker.toJson(ledger.stepped()));
    }
  }

  @Test
  void aCheckpointInTheThirdEpochHoldsTheFirstEpochsLastRowsSoARestartTrainsNoRowTwiceMore() {
    // Runs 0, 1, 2 (3 epochs of 2 partitions) are feeds 1, 2, 3. The queue holds a worker's next
    // frames, so the feeding jobs run ahead of training: epoch 3's tasks connect while the node
    // function still takes the last rows of epoch 1.
    int epochs = 3;
    FeedTracker tracker = new FeedTracker(FeedPosition.START);
    Worker worker = new Worker(tracker);
    for (int run = 0; run < epochs; run++) {
      tracker.runStarted(run + 1, run, 2);
    }
    worker.fed(1, 0);
    worker.fed(1, 1);
    worker.trains(1, 0, 50);
    worker.trains(1, 1, 20);
    worker.reports();
    worker.fed(2, 0);
    worker.fed(2, 1);
    worker.fed(3, 1); // Epoch 3's first task connects.
    worker.fed(3, 0);
    worker.trains(1, 1, 30); // The rest of epoch 1, then epoch 2.
    worker.reports();
    worker.trains(2, 0, 50);
    worker.trains(2, 1, 50);
    worker.reports();
    worker.trains(3, 1, 20);
    worker.reports();
    worker.trains(3, 1, 20); // Within one report interval of the checkpoint: not reported yet.
    // The chief saves a checkpoint: every row taken so far went through a step before it.
    tracker.checkpointing(140);
    tracker.checkpointed(140);
    FeedPosition restored = tracker.committed();

    // A restart now trains each row of each epoch the checkpoint does not hold (feedAgainUpTo, then
    // the rest of the interrupted epoch), each partition from the rows the position holds.
    int[][] trained = new int[2][Worker.ROWS];
    for (int run = 0; run < epochs; run++) {
      boolean again = run >= restored.firstUnfinishedRun() && !restored.finished(run);
      Map<Integer, FeedLedger.Resume> starts = restored.starts(run);
      for (int p = 0; p < 2; p++) {
        long inCheckpoint = worker.took.getOrDefault(FeedPosition.key(run + 1, p), 0L);
        long from = starts.containsKey(p) ? starts.get(p).consumed : 0;
        for (int row = 0; row < Worker.ROWS; row++) {
          trained[p][row] += (row < inCheckpoint ? 1 : 0) + (again && row >= from ? 1 : 0);
        }
      }
    }
    for (int p = 0; p < 2; p++) {
      for (int row = 0; row < Worker.ROWS; row++) {
        assertThat(trained[p][row])
            .as("times row %d of partition %d is trained in %d epochs", row, p, epochs)
            .isBetween(epochs, epochs + 1);
      }
    }
    // The stale report of epoch 1 was the cause: the position holds it whole.
    assertThat(restored.finished(0)).as("epoch 1 was trained to its end").isTrue();
    assertThat(restored.finished(1)).as("epoch 2 was trained to its end").isTrue();
    assertThat(restored.firstUnfinishedRun()).isEqualTo(2);
  }

  @Test
  void aRestartFromACheckpointWhoseSaveWasNotYetConfirmedResumesFromThatCheckpointsPosition() {
    FeedTracker tracker = new FeedTracker(FeedPosition.START);
    tracker.runStarted(1, 0, 1);
    tracker.report(report(taken(1, 0, 20, false)));
    tracker.checkpointing(70);
    tracker.checkpointed(70);
    tracker.report(report(taken(1, 0, 45, false)));
    // The chief commits checkpoint 140; a node is lost before the driver hears it was saved.
    tracker.checkpointing(140);
    tracker.report(report(taken(1, 0, 50, true)));
    assertThat(tracker.committed().starts(0).get(0).consumed).isEqualTo(20);

    // The restart restores checkpoint 140: feeding again from 70's position would train rows 20 to
    // 45 twice more (and, with checkpoints further apart than an epoch, rows of two epochs).
    assertThat(tracker.restoredBy(java.util.OptionalLong.of(140)).starts(0).get(0).consumed)
        .isEqualTo(45);
    assertThat(tracker.restoredBy(java.util.OptionalLong.of(70)).starts(0).get(0).consumed)
        .isEqualTo(20);
    // The save of 140 did not commit (70 is the latest), or nothing says which one is restored:
    // the confirmed one, which holds no row the restored checkpoint does not.
    assertThat(tracker.restoredBy(java.util.OptionalLong.empty()).starts(0).get(0).consumed)
        .isEqualTo(20);
    // A checkpoint with no position recorded (the chief's wait for the driver timed out).
    assertThat(tracker.restoredBy(java.util.OptionalLong.of(210)).starts(0).get(0).consumed)
        .isEqualTo(20);
    assertThat(new FeedTracker(FeedPosition.START).restoredBy(java.util.OptionalLong.of(5)))
        .isNull();
  }
}
