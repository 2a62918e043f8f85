package org.sparktf.core.internal.feed;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Bounds a feeding task's socket writes. A socket's read timeout does not cover writes: a frame
 * wider than the socket buffers blocks in {@code write()} for as long as the worker does not read.
 * A write still blocked when the feed timeout passes gets its socket closed, which fails it; the
 * failure then reads as a {@link SocketTimeoutException}.
 */
final class WriteWatchdog {
  /** One timer thread for every feeding task of the JVM; it ends when idle. */
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final Socket socket;
  private final long timeoutMillis;
  private volatile boolean fired;

  /** A write: the frame, or the end of the partition, with its flush. */
  interface Write {
    void run() throws IOException;
  }

  WriteWatchdog(Socket socket, long timeoutMillis) {
    this.socket = socket;
    this.timeoutMillis = timeoutMillis;
  }

  /** Runs {@code write}, failing it if it takes longer than the feed timeout. */
  void write(Write write) throws IOException {
    ScheduledFuture<?> alarm = TIMER.schedule(this::fire, timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      write.run();
    } catch (IOException e) {
      if (fired) {
        SocketTimeoutException timeout =
            new SocketTimeoutException("write blocked for " + timeoutMillis + " ms");
        timeout.initCause(e);
        throw timeout;
      }
      throw e;
    } finally {
      alarm.cancel(false);
    }
  }

  private void fire() {
    fired = true;
    try {
      socket.close();
    } catch (IOException e) {
      // Closing is all that is wanted: the blocked write fails.
    }
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "sparktf-feed-write-watchdog");
              thread.setDaemon(true);
              return thread;
            });
    timer.setRemoveOnCancelPolicy(true);
    timer.setKeepAliveTime(1, TimeUnit.SECONDS);
    timer.allowCoreThreadTimeOut(true);
    return timer;
  }
}
