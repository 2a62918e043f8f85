package org.sparktf.core.internal.feed;

/** Tags of the binary feed stream that follows the handshake. */
final class FeedProtocol {
  /** Feeder to worker: a frame of rows follows. */
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

  private FeedProtocol() {}
}
