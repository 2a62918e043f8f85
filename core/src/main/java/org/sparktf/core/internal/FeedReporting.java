package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.sparktf.core.internal.feed.FeedServer;
import org.sparktf.core.internal.feed.FeedTracker;

/**
 * A fed worker's side of the feed position: reports what its node function has trained on to the
 * driver's {@link FeedTracker}, and, on the chief, has the driver record the position before each
 * checkpoint.
 */
final class FeedReporting implements CheckpointAnnouncer {
  /** How long the chief waits for the driver to record the position before a checkpoint. */
  static final long RECORD_WAIT_MILLIS = 10_000;

  private final ControlChannel driver;
  private final FeedServer feed;
  private final Object lock = new Object();
  private long lastSent = -1; // Guarded by lock.
  private long recordedStep = Long.MIN_VALUE; // Guarded by lock.
  private Thread reporter;

  FeedReporting(ControlChannel driver, FeedServer feed) {
    this.driver = driver;
    this.feed = feed;
  }

  /** Starts reporting, every {@link FeedTracker#REPORT_MILLIS} ms while the position changes. */
  void start() {
    reporter =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  report();
                  Thread.sleep(FeedTracker.REPORT_MILLIS);
                }
              } catch (IOException e) {
                // The driver is gone: the heartbeat and listener threads deal with that.
              } catch (InterruptedException e) {
                // Asked to stop.
              }
            },
            "sparktf-feed-position");
    reporter.setDaemon(true);
    reporter.start();
  }

  /**
   * The node function returned normally: every row it took went through its steps. Sends that
   * before the node reports it is done.
   */
  void functionReturned() throws IOException {
    if (reporter != null) {
      reporter.interrupt();
    }
    feed.markAllStepped();
    report();
  }

  private void report() throws IOException {
    synchronized (lock) {
      long[] version = {0};
      ArrayNode positions = feed.steppedPositions(lastSent, version);
      if (positions != null) {
        driver.send(ControlChannel.message("fed").set("positions", positions));
        lastSent = version[0];
      }
    }
  }

  /** The driver's answer to {@link #saving}. */
  void recorded(ObjectNode message) {
    synchronized (lock) {
      recordedStep = Math.max(recordedStep, message.path("step").asLong());
      lock.notifyAll();
    }
  }

  @Override
  public void saving(long step) {
    try {
      // What this worker trained on goes first, so that the position holds it.
      report();
      driver.send(ControlChannel.message("checkpointing").put("step", step));
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RECORD_WAIT_MILLIS);
      synchronized (lock) {
        while (recordedStep < step) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            System.err.println(
                "The driver did not record the feed position of checkpoint "
                    + step
                    + " within "
                    + RECORD_WAIT_MILLIS / 1000
                    + " s; saving it anyway (a restart from it feeds again from an earlier one)");
            return;
          }
          lock.wait(left);
        }
      }
    } catch (IOException e) {
      System.err.println("Cannot record the feed position of checkpoint " + step + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void saved(long step) {
    try {
      driver.send(ControlChannel.message("checkpointed").put("step", step));
    } catch (IOException e) {
      System.err.println("Cannot tell the driver that checkpoint " + step + " is saved: " + e);
    }
  }
}
