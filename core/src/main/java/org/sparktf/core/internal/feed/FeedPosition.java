package org.sparktf.core.internal.feed;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far the training feed of a cluster had got at one moment: for each feeding run (one epoch of
 * {@code TFCluster.train}, numbered from 0 for the life of the cluster) that had started, the rows
 * of each partition that went through finished steps. The driver records one with each checkpoint
 * ({@link FeedTracker}); a restarted cluster restores the checkpoint and feeds again from its
 * position, so that no row of any epoch goes untrained. Immutable.
 */
public final class FeedPosition {
  /** Nothing fed yet. */
  public static final FeedPosition START = new FeedPosition(Map.of(), Map.of());

  /** What the node functions had taken of one partition, and whether that was all of it. */
  static final class Taken {
    final FeedLedger.Resume rows;
    final boolean complete;

    Taken(FeedLedger.Resume rows, boolean complete) {
      this.rows = rows;
      this.complete = complete;
    }
  }

  // Run -> its number of partitions, for every run that had started.
  private final TreeMap<Integer, Integer> runs;
  // key(run, partition) -> what was taken of it.
  private final Map<Long, Taken> taken;

  FeedPosition(Map<Integer, Integer> runs, Map<Long, Taken> taken) {
    this.runs = new TreeMap<>(runs);
    this.taken = Map.copyOf(taken);
  }

  static long key(int run, int partition) {
    return ((long) run << 32) | (partition & 0xFFFFFFFFL);
  }

  Map<Integer, Integer> runs() {
    return runs;
  }

  Map<Long, Taken> taken() {
    return taken;
  }

  /** Whether every row of every partition of {@code run} went through a step. */
  public boolean finished(int run) {
    Integer partitions = runs.get(run);
    if (partitions == null) {
      return false;
    }
    for (int p = 0; p < partitions; p++) {
      Taken t = taken.get(key(run, p));
      if (t == null || !t.complete) {
        return false;
      }
    }
    return true;
  }

  /**
   * The first run a cluster restored to this position must feed again (from {@link #starts}): the
   * oldest one that had started and not finished, or the one after the last started run.
   */
  public int firstUnfinishedRun() {
    for (int run : runs.keySet()) {
      if (!finished(run)) {
        return run;
      }
    }
    return runs.isEmpty() ? 0 : runs.lastKey() + 1;
  }

  /** Where each partition of {@code run} starts again: the rows already trained on are skipped. */
  Map<Integer, FeedLedger.Resume> starts(int run) {
    Map<Integer, FeedLedger.Resume> starts = new HashMap<>();
    Integer partitions = runs.get(run);
    if (partitions != null) {
      for (int p = 0; p < partitions; p++) {
        Taken t = taken.get(key(run, p));
        if (t != null) {
          starts.put(p, t.rows);
        }
      }
    }
    return starts;
  }

  /** The rows of all runs that went through steps, for logs. */
  public long rowsTrained() {
    long rows = 0;
    for (Taken t : taken.values()) {
      rows += t.rows.consumed;
    }
    return rows;
  }

  @Override
  public String toString() {
    return "run " + firstUnfinishedRun() + ", " + rowsTrained() + " rows trained in all";
  }
}
