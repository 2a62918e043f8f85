package org.sparktf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WarmUpTest {

  @Test
  void aFixedWarmUpRunsExactlyItsPasses() {
    WarmUp warmUp = WarmUp.fixed(2);
    int passes = 0;
    while (warmUp.wantsMore()) {
      warmUp.record(1.0, 0.9);
      passes++;
    }
    assertThat(passes).isEqualTo(2);
    assertThat(warmUp.outcome()).isEqualTo("fixed");
  }

  @Test
  void aSteadyWarmUpStopsAfterEnoughCalmPassesInARow() {
    WarmUp warmUp = WarmUp.steady(0.05, 3, 40);
    // Compiling, calm, calm, compiling again (the calm run restarts), then three calm passes.
    double[] jit = {0.5, 0.01, 0.02, 0.3, 0.04, 0.0, 0.049};
    int i = 0;
    while (warmUp.wantsMore()) {
      warmUp.record(1.0, jit[i++]);
    }
    assertThat(warmUp.passes()).isEqualTo(7);
    assertThat(warmUp.outcome()).isEqualTo("steady");
  }

  @Test
  void aContenderThatKeepsCompilingStopsAtTheMaximumAndIsReportedNotSteady() {
    WarmUp warmUp = WarmUp.steady(0.05, 3, 6);
    while (warmUp.wantsMore()) {
      warmUp.record(1.0, 0.05);
    }
    assertThat(warmUp.passes()).isEqualTo(6);
    assertThat(warmUp.outcome()).isEqualTo("not-steady");
  }

  @Test
  void invalidRulesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> WarmUp.steady(1.5, 3, 40))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid steady warm-up")
        .hasMessageContaining("share in (0, 1)");
    assertThatThrownBy(() -> WarmUp.steady(0.05, 3, 2)).hasMessageContaining("at most 2 passes");
    assertThatThrownBy(() -> WarmUp.fixed(-1)).hasMessageContaining("Invalid warm-up");
  }
}
