package org.sparktf.core.internal.feed;

import java.io.Closeable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * What a worker handed to its node function of each partition of each feed, so that a retried
 * feeding task neither feeds a row twice nor loses one. A retry (a higher Spark attempt number)
 * supersedes the earlier attempt: the frames that attempt still has queued are dropped, and the
 * retry skips the rows already consumed, after checking that they hash the same as before.
 */
final class FeedLedger {
  /** Where a new attempt of a partition starts. */
  static final class Resume {
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
    Attempt current;
    long consumed;
    long hash = FeedProtocol.HASH_SEED;
    long hashedUpTo;

    Partition(int feed) {
      this.feed = feed;
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

  /**
   * Starts an attempt at a partition: an earlier attempt is superseded (its queued frames are
   * dropped and its connection closed). Null when a later attempt already started.
   */
  Attempt begin(int feed, int partition, int number, Closeable connection) {
    return replace(feed, partition, number, connection);
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
    return true;
  }

  private Partition entry(int feed, int partition) {
    if (feed > newestFeed) {
      newestFeed = feed;
      // Feeds run one after the other: no task of a feed older than the previous one can still be
      // retried. Queued frames keep their own entries.
      Iterator<Partition> old = partitions.values().iterator();
      while (old.hasNext()) {
        if (old.next().feed < feed - 1) {
          old.remove();
        }
      }
    }
    return partitions.computeIfAbsent(
        ((long) feed << 32) | (partition & 0xFFFFFFFFL), k -> new Partition(feed));
  }
}
