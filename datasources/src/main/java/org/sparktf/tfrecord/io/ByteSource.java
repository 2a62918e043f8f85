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
  private final InputStream in;
  private byte[] buf = new byte[64 * 1024];
  private int start;
  private int end;
  private long position;

  ByteSource(InputStream in, long position) {
    this.in = in;
    this.position = position;
  }

  /**
   * Makes up to n bytes available from the current position; returns how many are (less at EOF).
   */
  int ensure(int n) throws IOException {
    if (end - start >= n) {
      return n;
    }
    if (buf.length - start < n) {
      byte[] target = n > buf.length ? new byte[Math.max(n, buf.length * 2)] : buf;
      System.arraycopy(buf, start, target, 0, end - start);
      buf = target;
      end -= start;
      start = 0;
    }
    while (end - start < n) {
      int read = in.read(buf, end, buf.length - end);
      if (read < 0) {
        break;
      }
      end += read;
    }
    return Math.min(n, end - start);
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
