package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.function.IntSupplier;

/**
 * The node side of progress reporting: sums what {@link org.sparktf.core.NodeContext#reportStep}
 * tells it and sends a {@code progress} message with the totals to the driver over the node's
 * control channel, at most once per {@link #SEND_INTERVAL_NANOS} and once more at the end, so a
 * fast loop costs one small message a second. Byte counters ({@link SocketBytes}, one short {@code
 * ss} process) are read at most every {@link #BYTES_INTERVAL_NANOS} and at the end.
 */
final class StepReporter {
  static final String PROGRESS = "progress";
  static final long SEND_INTERVAL_NANOS = 1_000_000_000L;
  static final long BYTES_INTERVAL_NANOS = 5_000_000_000L;

  private final ControlChannel driver;
  private final SocketBytes bytes;
  private final IntSupplier queueDepth;
  private final java.util.function.LongSupplier feedBytes;
  private final java.util.function.LongSupplier nanoTime;
  private long globalStep = -1;
  private double loss = Double.NaN;
  private long steps;
  private long examples;
  private long computeNanos;
  private long dataWaitNanos;
  private long targetStep;
  private long lastSent;
  private long lastBytesSample;
  private long[] counters;
  private boolean dirty;

  StepReporter(
      ControlChannel driver,
      SocketBytes bytes,
      IntSupplier queueDepth,
      java.util.function.LongSupplier feedBytes) {
    this(driver, bytes, queueDepth, feedBytes, System::nanoTime);
  }

  /** With {@code nanoTime} as the clock of the send and sample intervals (tests set it). */
  StepReporter(
      ControlChannel driver,
      SocketBytes bytes,
      IntSupplier queueDepth,
      java.util.function.LongSupplier feedBytes,
      java.util.function.LongSupplier nanoTime) {
    this.driver = driver;
    this.bytes = bytes;
    this.queueDepth = queueDepth;
    this.feedBytes = feedBytes;
    this.nanoTime = nanoTime;
  }

  synchronized void step(
      long globalStep, double loss, long examples, long computeNanos, long dataWaitNanos) {
    if (examples < 0 || computeNanos < 0 || dataWaitNanos < 0) {
      throw new IllegalArgumentException(
          "Invalid step report: examples "
              + examples
              + ", compute "
              + computeNanos
              + " ns, data wait "
              + dataWaitNanos
              + " ns; none may be negative");
    }
    this.globalStep = Math.max(this.globalStep, globalStep);
    this.loss = loss;
    this.steps++;
    this.examples += examples;
    this.computeNanos += computeNanos;
    this.dataWaitNanos += dataWaitNanos;
    dirty = true;
    long now = nanoTime.getAsLong();
    if (now - lastSent >= SEND_INTERVAL_NANOS) {
      send(now, false);
    }
  }

  synchronized void targetStep(long step) {
    this.targetStep = step;
    dirty = true;
  }

  /**
   * Sends the totals with fresh byte counters at the end of the function, once it reported a step.
   * Even when the last step's totals went out already: they carried byte counters up to {@link
   * #BYTES_INTERVAL_NANOS} old, without the traffic of the steps since (with one-second steps, up
   * to 5 of them).
   */
  synchronized void flush() {
    if (dirty || steps > 0) {
      send(nanoTime.getAsLong(), true);
    }
  }

  private void send(long now, boolean last) {
    lastSent = now;
    dirty = false;
    ObjectNode message =
        ControlChannel.message(PROGRESS)
            .put("globalStep", globalStep)
            .put("steps", steps)
            .put("examples", examples)
            .put("computeNanos", computeNanos)
            .put("dataWaitNanos", dataWaitNanos)
            .put("targetStep", targetStep)
            .put("queueDepth", queueDepth.getAsInt())
            .put("feedBytesReceived", feedBytes.getAsLong());
    if (!Double.isNaN(loss) && !Double.isInfinite(loss)) {
      message.put("loss", loss);
    }
    if (last || counters == null || now - lastBytesSample >= BYTES_INTERVAL_NANOS) {
      lastBytesSample = now;
      counters = bytes.sample();
    }
    if (counters != null) {
      message.put("grpcBytesSent", counters[0]);
      message.put("grpcBytesReceived", counters[1]);
    } else if (bytes.unavailable() != null) {
      message.put("bytesUnavailable", bytes.unavailable());
    }
    try {
      driver.send(message);
    } catch (IOException e) {
      // Progress is best effort: a broken channel is the liveness protocol's to report.
      System.err.println("Cannot send progress to the driver: " + e);
    }
  }
}
