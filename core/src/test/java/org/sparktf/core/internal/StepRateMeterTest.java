package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StepRateMeterTest {
  private final AtomicLong clock = new AtomicLong(5_000_000_000L);
  private final StepRateMeter meter = new StepRateMeter(clock::get);

  @Test
  void firstReportStartsTheInterval() {
    assertThat(meter.report(100)).isEmpty();
  }

  @Test
  void reportsStepsPerSecondSinceTheLastReport() {
    meter.report(0);
    clock.addAndGet(2_000_000_000L);
    assertThat(meter.report(50).getAsDouble()).isCloseTo(25.0, within(1e-9));
    clock.addAndGet(500_000_000L);
    assertThat(meter.report(60).getAsDouble()).isCloseTo(20.0, within(1e-9));
    clock.addAndGet(1_000_000_000L);
    assertThat(meter.report(60).getAsDouble()).isEqualTo(0.0);
  }

  @Test
  void noElapsedTimeKeepsTheReferencePoint() {
    meter.report(10);
    assertThat(meter.report(20)).isEmpty();
    clock.addAndGet(4_000_000_000L);
    // Spans from step 10, not 20.
    assertThat(meter.report(30)).isEqualTo(OptionalDouble.of(5.0));
  }

  @Test
  void resetStartsANewInterval() {
    meter.report(0);
    clock.addAndGet(1_000_000_000L);
    meter.reset();
    assertThat(meter.report(1000)).isEmpty();
    clock.addAndGet(1_000_000_000L);
    assertThat(meter.report(1003)).isEqualTo(OptionalDouble.of(3.0));
  }

  @Test
  void aStepGoingBackStartsANewInterval() {
    meter.report(500);
    clock.addAndGet(1_000_000_000L);
    assertThat(meter.report(200)).isEmpty();
    clock.addAndGet(2_000_000_000L);
    assertThat(meter.report(220)).isEqualTo(OptionalDouble.of(10.0));
  }

  @Test
  void rejectsAClockGoingBack() {
    meter.report(10);
    clock.addAndGet(-1);
    assertThatThrownBy(() -> meter.report(11))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("Cannot measure steps/sec: the clock went back by 1 ns");
  }

  @Test
  void rejectsANullClock() {
    assertThatThrownBy(() -> new StepRateMeter(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid");
  }
}
