package org.sparktf.tfrecord.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.fs.Seekable;

/**
 * A buffered stream that can look ahead: {@link #ensure} makes the next n bytes readable in {@link
 * #array()} from {@link #offset()} without consuming them, which both record reading and
 * resynchronisation need. Tracks the absolute position. Owns and closes the stream.
 */
final class ByteSource implements Closeable {
  /** The largest byte array the JVM reliably allocates (a few header words below 2^31). */
  static final int MAX_BUFFER = Integer.MAX_VALUE - 8;

  private final InputStream in;
  private final boolean growAsBytesArrive;
  private byte[] buf = new byte[64 * 1024];
  private int start;
  private int end;
  private long position;

  /**
   * @param growAsBytesArrive when the stream's length is unknown (a decompressed stream), grow the
   *     buffer by doubling as bytes arrive instead of to the requested size at once, so that a
   *     hostile length costs only as much memory as the stream really holds
   */
  ByteSource(InputStream in, long position, boolean growAsBytesArrive) {
    this.in = in;
    this.position = position;
    this.growAsBytesArrive = growAsBytesArrive;
  }

  /**
   * Makes up to n bytes available from the current position; returns how many are (less at EOF).
   */
  int ensure(int n) throws IOException {
    if (end - start >= n) {
      return n;
    }
    if (buf.length - start < n) {
      relocate(buf.length >= n ? buf.length : grownCapacity(n));
    } else if (buf.length - end < buf.length / 4) {
      // Little room left after the buffered bytes: move them (fewer than n) to the front first,
      // so that the read below is one large read, not a small one for the tail of the buffer.
      relocate(buf.length);
    }
    while (end - start < n) {
      if (end == buf.length) {
        relocate(grownCapacity(n));
      }
      int read = in.read(buf, end, buf.length - end);
      if (read < 0) {
        break;
      }
      end += read;
    }
    return Math.min(n, end - start);
  }

  /** A larger capacity for n bytes: at once (a bounded stream), or double what is held. */
  private int grownCapacity(int n) {
    long doubled = Math.min(2L * buf.length, MAX_BUFFER);
    return (int) (growAsBytesArrive ? Math.min(n, doubled) : Math.max(n, doubled));
  }

  /** Moves the unconsumed bytes to the front of a buffer of the given capacity. */
  private void relocate(int capacity) {
    byte[] target = capacity == buf.length ? buf : new byte[capacity];
    System.arraycopy(buf, start, target, 0, end - start);
    buf = target;
    end -= start;
    start = 0;
  }

  byte[] array() {
    return buf;
  }

  int offset() {
    return start;
  }

  long position() {
    return position;
  }

  /** Consumes n bytes that {@link #ensure} made available. */
  void advance(int n) {
    start += n;
    position += n;
  }

  /** Consumes n bytes without reading them where the stream can seek; returns how many it did. */
  long skip(long n) throws IOException {
    long buffered = Math.min(n, end - start);
    advance((int) buffered);
    long remaining = n - buffered;
    if (remaining > 0 && in instanceof Seekable) {
      ((Seekable) in).seek(position + remaining);
      position += remaining;
      return n;
    }
    while (remaining > 0) {
      int got = ensure((int) Math.min(remaining, buf.length));
      if (got == 0) {
        break;
      }
      advance(got);
      remaining -= got;
    }
    return n - remaining;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
