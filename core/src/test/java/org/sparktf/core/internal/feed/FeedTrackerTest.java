package org.sparktf.core.internal.feed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import org.junit.jupiter.api.Test;

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
}
