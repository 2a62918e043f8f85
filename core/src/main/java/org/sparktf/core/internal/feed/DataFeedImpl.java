package org.sparktf.core.internal.feed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.sparktf.core.DataFeed;
import org.sparktf.core.FeedBatch;
import org.sparktf.core.TFClusterException;
import org.sparktf.core.columnar.ColumnBatch;

/**
 * The worker's end of the feed: a bounded queue of frames that connection threads fill and the node
 * function drains. The bound is the backpressure: a full queue stops the connection threads from
 * reading, which stops the feeding tasks through TCP flow control.
 */
final class DataFeedImpl implements DataFeed {
  /** A frame and, for inference, the connection its results go back to. */
  static final class Chunk {
    final ColumnBatch data;
    final FeedServer.Connection origin;
    final FeedLedger.Attempt attempt;

    /** The partition's row the chunk starts at. */
    final long firstRow;

    /** The CRC32C of the frame as sent, and its row count (before a retry's skip). */
    final int crc;

    final int frameRows;

    Chunk(
        ColumnBatch data,
        FeedServer.Connection origin,
        FeedLedger.Attempt attempt,
        long firstRow,
        int crc,
        int frameRows) {
      this.data = data;
      this.origin = origin;
      this.attempt = attempt;
      this.firstRow = firstRow;
      this.crc = crc;
      this.frameRows = frameRows;
    }
  }

  private final LinkedBlockingQueue<Chunk> queue;
  private final FeedLedger ledger = new FeedLedger();
  private final long timeoutMillis;
  private final String node;
  private volatile boolean ended;
  private volatile boolean terminated;
  private Chunk pending;
  private int pendingOffset;
  private List<String> lastColumns = List.of();

  DataFeedImpl(int capacity, long timeoutMillis, String node) {
    this.queue = new LinkedBlockingQueue<>(capacity);
    this.timeoutMillis = timeoutMillis;
    this.node = node;
  }

  int queueDepth() {
    return queue.size();
  }

  FeedLedger ledger() {
    return ledger;
  }

  /**
   * Called by connection threads; blocks while the queue is full. False once terminated or once the
   * chunk's attempt was superseded.
   */
  boolean put(Chunk chunk) throws InterruptedException {
    while (!terminated && ledger.isLive(chunk.attempt)) {
      if (queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    return false;
  }

  void endOfFeed() {
    ended = true;
  }

  boolean hasEnded() {
    return ended || terminated;
  }

  boolean isTerminated() {
    return terminated;
  }

  @Override
  public FeedBatch nextBatch(int maxRows) {
    if (maxRows < 1) {
      throw new IllegalArgumentException("Invalid batch size: " + maxRows + "; it must be >= 1");
    }
    // The rows taken before went through the caller's step: that is how far training got.
    ledger.markStepped();
    List<ColumnBatch> parts = new ArrayList<>();
    int have = 0;
    long idleSince = System.nanoTime();
    while (have < maxRows && !terminated) {
      if (pending == null) {
        Chunk next = poll();
        if (next == null) {
          if (ended && queue.isEmpty()) {
            break;
          }
          if (System.nanoTime() - idleSince > timeoutMillis * 1_000_000L) {
            throw new TFClusterException(
                "Cannot read the next batch on "
                    + node
                    + ": no data arrived for "
                    + timeoutMillis / 1000
                    + " s and the feed has not ended; is TFCluster.train or inference running?"
                    + " (raise feedTimeout for long pauses)");
          }
          continue;
        }
        if (!ledger.isLive(next.attempt)) {
          // A superseded or broken attempt: its retry sends these rows again.
          continue;
        }
        if (next.origin != null && !parts.isEmpty()) {
          // Inference batches never mix requests: keep it for the next call.
          pending = next;
          pendingOffset = 0;
          break;
        }
        pending = next;
        pendingOffset = 0;
        idleSince = System.nanoTime();
      }
      int take = Math.min(maxRows - have, pending.data.rows() - pendingOffset);
      if (!ledger.take(pending, pendingOffset, take)) {
        pending = null;
        continue;
      }
      ColumnBatch part =
          take == pending.data.rows()
              ? pending.data
              : pending.data.slice(pendingOffset, pendingOffset + take);
      Chunk source = pending;
      pendingOffset += take;
      if (pendingOffset == pending.data.rows()) {
        pending = null;
      }
      if (source.origin != null) {
        lastColumns = part.columns();
        return new InferenceBatch(part, source.origin);
      }
      parts.add(part);
      have += take;
    }
    if (parts.isEmpty()) {
      return ColumnBatch.empty(lastColumns);
    }
    ColumnBatch batch = ColumnBatch.concat(parts);
    lastColumns = batch.columns();
    return batch;
  }

  private Chunk poll() {
    try {
      return queue.poll(100, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TFClusterException("Cannot read the next batch on " + node + ": interrupted", e);
    }
  }

  @Override
  public boolean shouldStop() {
    return terminated || (ended && queue.isEmpty() && pending == null);
  }

  @Override
  public void terminate() {
    terminated = true;
    pending = null;
    List<Chunk> dropped = new ArrayList<>();
    queue.drainTo(dropped);
    for (Chunk chunk : dropped) {
      if (chunk.origin != null) {
        chunk.origin.terminated();
      }
    }
  }

  /** A batch whose results go back to the feeding task that sent its rows. */
  private static final class InferenceBatch extends ColumnBatch {
    private final FeedServer.Connection origin;
    private boolean responded;

    InferenceBatch(ColumnBatch rows, FeedServer.Connection origin) {
      super(rows);
      this.origin = origin;
    }

    @Override
    public void respond(java.util.Map<String, ? extends org.tensorflow.Tensor> outputs) {
      if (responded) {
        throw new IllegalStateException("Cannot respond: this batch already has its results");
      }
      origin.sendResults(outputs, rows());
      responded = true;
    }
  }
}
