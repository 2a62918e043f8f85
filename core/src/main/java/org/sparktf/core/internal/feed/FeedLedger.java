package org.sparktf.core.internal.feed;

import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What a worker handed to its node function of each partition of each feed, so that a retried
 * feeding task neither feeds a row twice nor loses one. A retry (a higher Spark attempt number)
 * supersedes the earlier attempt: the frames that attempt still has queued are dropped, and the
 * retry skips the rows already consumed, after checking that they hash the same as before.
 *
 * <p>It also says how far training got: {@link #stepped} is what the node function had taken when
 * it last asked for a batch, so every row of it went through a finished step. The node reports that
 * to the driver, which records it with each checkpoint ({@link FeedTracker}).
 */
final class FeedLedger {
  /** Where a new attempt of a partition starts. */
  static final class Resume implements Serializable {
    private static final long serialVersionUID = 1L;
    static final Resume NONE = new Resume(0, FeedProtocol.HASH_SEED, 0);

    /** Rows of the partition the node function already took. */
    final long consumed;

    /** {@link FeedProtocol#chain} over the frames those rows came in. */
    final long hash;

    /** The row after the last of those frames. */
    final long hashedUpTo;

    Resume(long consumed, long hash, long hashedUpTo) {
      this.consumed = consumed;
      this.hash = hash;
      this.hashedUpTo = hashedUpTo;
    }
  }

  /** One partition of one feed on this worker. Guarded by the ledger. */
  private static final class Partition {
    final int feed;
    final int index;
    Attempt current;
    long consumed;
    long hash = FeedProtocol.HASH_SEED;
    long hashedUpTo;
    // The partition's row count, once a feeding task sent all of it; -1 before.
    long total = -1;
    // Whether the reporter has read a position holding all of it: see entry().
    boolean reported;

    Partition(int feed, int index) {
      this.feed = feed;
      this.index = index;
    }

    boolean fresh() {
      return consumed == 0 && hashedUpTo == 0;
    }

    boolean complete() {
      return total >= 0 && consumed >= total;
    }

    boolean live() {
      return current != null && current.live;
    }
  }

  /** What the node function had taken of one partition when it last asked for a batch. */
  static final class Position {
    final int feed;
    final int partition;
    final Resume taken;

    /** Whether that was the whole partition. */
    final boolean complete;

    Position(int feed, int partition, Resume taken, boolean complete) {
      this.feed = feed;
      this.partition = partition;
      this.taken = taken;
      this.complete = complete;
    }
  }

  /** One feeding task's attempt at a partition: the frames it queued refer to it. */
  static final class Attempt {
    final int number;
    private final Partition partition;
    private final Closeable connection;
    private boolean live = true; // Guarded by the ledger.

    Attempt(int number, Partition partition, Closeable connection) {
      this.number = number;
      this.partition = partition;
      this.connection = connection;
    }
  }

  private final Map<Long, Partition> partitions = new HashMap<>();
  private int newestFeed = -1;
  private List<Position> stepped = List.of();
  // The partitions that {@link #stepped} holds complete.
  private List<Partition> steppedComplete = List.of();
  private long changes;
  private long steppedChanges;

  /**
   * Starts an attempt at a partition: an earlier attempt is superseded (its queued frames are
   * dropped and its connection closed). Null when a later attempt already started.
   *
   * @param from where the partition starts when this worker has taken none of it: after a restart,
   *     the rows the restored checkpoint already holds
   */
  Attempt begin(int feed, int partition, int number, Closeable connection, Resume from) {
    Attempt attempt = replace(feed, partition, number, connection);
    if (attempt != null && from.consumed > 0) {
      synchronized (this) {
        Partition entry = attempt.partition;
        if (entry.fresh()) {
          entry.consumed = from.consumed;
          entry.hash = from.hash;
          entry.hashedUpTo = from.hashedUpTo;
          changes++;
        }
      }
    }
    return attempt;
  }

  /** The attempt's feeding task sent every row: the partition has {@code rows} rows. */
  synchronized void sentAll(Attempt attempt, long rows) {
    if (attempt.partition.current == attempt) {
      attempt.partition.total = Math.max(rows, attempt.partition.consumed);
      changes++;
    }
  }

  /**
   * The node function asks for a batch: every row it took before went through a step. Records that
   * as the {@link #stepped} position.
   */
  synchronized void markStepped() {
    if (changes == steppedChanges) {
      return;
    }
    List<Position> now = new ArrayList<>(partitions.size());
    List<Partition> complete = new ArrayList<>();
    for (Partition entry : partitions.values()) {
      // An empty partition too, once sent: the driver counts an epoch done when all of it is.
      if (entry.consumed > 0 || entry.complete()) {
        now.add(
            new Position(
                entry.feed,
                entry.index,
                new Resume(entry.consumed, entry.hash, entry.hashedUpTo),
                entry.complete()));
        if (entry.complete()) {
          complete.add(entry);
        }
      }
    }
    stepped = List.copyOf(now);
    steppedComplete = List.copyOf(complete);
    steppedChanges = changes;
  }

  /**
   * What the node function had taken when it last asked for a batch, as the reporter reads it for
   * the driver: a partition this holds complete may leave the ledger from now on (see {@link
   * #entry}).
   */
  synchronized List<Position> stepped() {
    for (Partition entry : steppedComplete) {
      entry.reported = true;
    }
    return stepped;
  }

  /** Grows whenever {@link #stepped} changes. */
  synchronized long steppedVersion() {
    return steppedChanges;
  }

  /**
   * A retry asks every worker before it picks one: each supersedes any earlier attempt, so that a
   * late frame of it cannot be taken, and says how many rows it consumed. Null when a later attempt
   * already started.
   */
  Resume probe(int feed, int partition, int number) {
    // A placeholder that queues nothing: only attempts at least as late may begin from now on.
    Attempt placeholder = replace(feed, partition, number, null);
    if (placeholder == null) {
      return null;
    }
    abandon(placeholder);
    return resume(placeholder);
  }

  private Attempt replace(int feed, int partition, int number, Closeable connection) {
    Closeable superseded = null;
    Attempt attempt;
    synchronized (this) {
      Partition entry = entry(feed, partition);
      if (entry.current != null) {
        if (entry.current.number > number) {
          return null;
        }
        entry.current.live = false;
        superseded = entry.current.connection;
      }
      attempt = new Attempt(number, entry, connection);
      entry.current = attempt;
    }
    if (superseded != null) {
      try {
        superseded.close();
      } catch (IOException e) {
        // It is being dropped; nothing more is read from it.
      }
    }
    return attempt;
  }

  /** Where {@code attempt} starts: what its partition's earlier attempts handed out. */
  synchronized Resume resume(Attempt attempt) {
    Partition entry = attempt.partition;
    return new Resume(entry.consumed, entry.hash, entry.hashedUpTo);
  }

  /** The attempt's connection broke before its end: its queued frames will not be taken. */
  synchronized void abandon(Attempt attempt) {
    attempt.live = false;
  }

  /** Whether frames of this attempt may still be queued. */
  synchronized boolean isLive(Attempt attempt) {
    return attempt.live;
  }

  /**
   * Records that rows {@code [offset, offset + rows)} of {@code chunk} go to the node function now.
   * False when its attempt was superseded or abandoned: the chunk is to be dropped.
   */
  synchronized boolean take(DataFeedImpl.Chunk chunk, int offset, int rows) {
    Attempt attempt = chunk.attempt;
    Partition entry = attempt.partition;
    if (!attempt.live || entry.current != attempt) {
      return false;
    }
    if (offset == 0 && chunk.firstRow >= entry.hashedUpTo) {
      entry.hash = FeedProtocol.chain(entry.hash, chunk.crc, chunk.frameRows);
      entry.hashedUpTo = chunk.firstRow + chunk.frameRows;
    }
    entry.consumed += rows;
    changes++;
    return true;
  }

  private Partition entry(int feed, int partition) {
    if (feed > newestFeed) {
      newestFeed = feed;
      // Feeds run one after the other: no task of a feed older than the previous one can still be
      // retried. Its entries go once nothing more is to be said of them: the node function may
      // still be taking its queued frames (the feeding jobs run ahead of training), and the driver
      // must hear how far it got to the end, or a restart trains those rows again. So an entry
      // stays until the reporter read it complete; one that took nothing goes once its attempt is
      // dead (superseded or broken: none of its rows can be taken any more).
      Iterator<Partition> old = partitions.values().iterator();
      while (old.hasNext()) {
        Partition entry = old.next();
        if (entry.feed < feed - 1 && (entry.reported || entry.consumed == 0 && !entry.live())) {
          old.remove();
        }
      }
    }
    return partitions.computeIfAbsent(
        ((long) feed << 32) | (partition & 0xFFFFFFFFL), k -> new Partition(feed, partition));
  }
}
