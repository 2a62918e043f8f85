package org.sparktf.core.internal;

import java.util.OptionalDouble;
import java.util.function.LongSupplier;

/**
 * Measures training speed in steps per second over the interval since the previous report, the
 * "global_step/sec" scalar that TensorFlow's estimators log. The clock is injected (nanoseconds,
 * like {@link System#nanoTime()}) so that callers can test with a fake one. Holds no resources. Not
 * thread-safe: one training loop owns one meter.
 */
public final class StepRateMeter {
  private final LongSupplier nanoClock;
  private boolean started;
  private long lastStep;
  private long lastNanos;

  /** A meter on {@link System#nanoTime()}. */
  public StepRateMeter() {
    this(System::nanoTime);
  }

  /** A meter on the given nanosecond clock, which must never go backwards. */
  public StepRateMeter(LongSupplier nanoClock) {
    if (nanoClock == null) {
      throw new IllegalArgumentException("Invalid step rate clock: null");
    }
    this.nanoClock = nanoClock;
  }

  /**
   * Records that training reached {@code step} now and returns the rate since the previous call:
   * empty on the first call (the interval starts there), when {@code step} is below the previous
   * one (say, after a restore from an earlier checkpoint; a new interval starts there), and when no
   * time has passed (the reference point then stays where it was, so the next report covers the
   * longer interval).
   *
   * @throws IllegalStateException if the clock went backwards
   */
  public OptionalDouble report(long step) {
    long now = nanoClock.getAsLong();
    if (!started || step < lastStep) {
      started = true;
      lastStep = step;
      lastNanos = now;
      return OptionalDouble.empty();
    }
    long elapsed = now - lastNanos;
    if (elapsed < 0) {
      throw new IllegalStateException(
          "Cannot measure steps/sec: the clock went back by " + (-elapsed) + " ns");
    }
    if (elapsed == 0) {
      return OptionalDouble.empty();
    }
    double rate = (step - lastStep) * 1e9 / elapsed;
    lastStep = step;
    lastNanos = now;
    return OptionalDouble.of(rate);
  }

  /** Forgets the reference point: the next {@link #report} starts a new interval. */
  public void reset() {
    started = false;
  }
}
