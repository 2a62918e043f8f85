package org.sparktf.core.internal.feed;

/**
 * Tags of the binary feed stream that follows the handshake. The opening message names the feed
 * (one per epoch), the partition and the Spark attempt; each frame then carries the row of the
 * partition it starts at, so a retried attempt can resume where the worker's node function stopped.
 */
final class FeedProtocol {
  /** Feeder to worker: the frame's first row (a long) and a frame of rows follow. */
  static final int FRAME = 1;

  /** Feeder to worker: the partition is complete. */
  static final int END = 0;

  /** Worker to feeder: a training frame was queued. */
  static final int ACK = 1;

  /** Worker to feeder: the worker terminated its feed; stop sending. */
  static final int TERMINATED = 2;

  /** Worker to feeder: inference results follow. */
  static final int RESULT = 3;

  /** Rows per frame: large enough to amortize per-frame work, small enough to bound memory. */
  static final int FRAME_ROWS = 1024;

  /** Bytes per frame before it is sent early (wide rows). */
  static final long FRAME_BYTES = 4L << 20;

  /** Training frames in flight per feeding task. */
  static final int WINDOW = 4;

  /** The largest frame a worker accepts. */
  static final long MAX_FRAME_BYTES = 256L << 20;

  /** The hash of no frame. */
  static final long HASH_SEED = 0xCBF29CE484222325L;

  /**
   * Adds one frame to a partition's running hash: its CRC32C (over the frame's encoded bytes, which
   * worker and feeder both have in hand) and its row count, mixed FNV-style into 64 bits.
   */
  static long chain(long hash, int frameCrc, int rows) {
    long h = (hash ^ (frameCrc & 0xFFFFFFFFL)) * 0x100000001B3L;
    return (h ^ rows) * 0x100000001B3L;
  }

  private FeedProtocol() {}
}
