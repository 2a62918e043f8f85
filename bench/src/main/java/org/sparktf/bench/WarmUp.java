package org.sparktf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How many untimed passes a contender of the read-core benchmark runs before it is timed: a fixed
 * count, or until steady state, the same rule for every contender.
 *
 * <p>Steady state: the JIT compiler threads took less than {@code maxJitShare} of the process's CPU
 * in each of the last {@code calmPasses} passes. The JIT is what makes a fresh JVM's early passes
 * slow, and it runs on the same pinned core as the reader, so its share of a pass says directly
 * whether the timed passes would still pay for compiling. A contender that never gets there stops
 * at {@code maxPasses} and is reported as not steady. Spark compiles its per-query planning and
 * scheduling code for many passes; TensorFlow's C++ reader has only a thin Java client to compile.
 */
final class WarmUp {
  private final int fixedPasses;
  private final double maxJitShare;
  private final int calmPasses;
  private final int maxPasses;
  private final List<double[]> passes = new ArrayList<>();

  private WarmUp(int fixedPasses, double maxJitShare, int calmPasses, int maxPasses) {
    this.fixedPasses = fixedPasses;
    this.maxJitShare = maxJitShare;
    this.calmPasses = calmPasses;
    this.maxPasses = maxPasses;
  }

  /** Exactly {@code passes} untimed passes. */
  static WarmUp fixed(int passes) {
    if (passes < 0) {
      throw new IllegalArgumentException("Invalid warm-up: " + passes + " passes; give 0 or more");
    }
    return new WarmUp(passes, 0, 0, passes);
  }

  /**
   * Passes until the JIT's share of process CPU stays below {@code maxJitShare} for {@code
   * calmPasses} passes in a row, at most {@code maxPasses}.
   */
  static WarmUp steady(double maxJitShare, int calmPasses, int maxPasses) {
    if (!(maxJitShare > 0 && maxJitShare < 1) || calmPasses < 1 || maxPasses < calmPasses) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid steady warm-up: JIT share %s, %d calm passes, at most %d passes; give a"
                  + " share in (0, 1), 1 or more calm passes and a maximum of at least that many",
              maxJitShare,
              calmPasses,
              maxPasses));
    }
    return new WarmUp(-1, maxJitShare, calmPasses, maxPasses);
  }

  boolean isSteadyRule() {
    return fixedPasses < 0;
  }

  /** Records one warm-up pass's process CPU and JIT compiler CPU, in seconds. */
  void record(double processCpu, double jitCpu) {
    passes.add(new double[] {processCpu, jitCpu});
  }

  /** Whether another warm-up pass is due. */
  boolean wantsMore() {
    if (!isSteadyRule()) {
      return passes.size() < fixedPasses;
    }
    return passes.size() < maxPasses && !steady();
  }

  /** Whether the last {@code calmPasses} passes each left the JIT under its share. */
  boolean steady() {
    if (!isSteadyRule() || passes.size() < calmPasses) {
      return false;
    }
    for (double[] p : passes.subList(passes.size() - calmPasses, passes.size())) {
      if (!(p[1] < maxJitShare * p[0])) {
        return false;
      }
    }
    return true;
  }

  int passes() {
    return passes.size();
  }

  /** "fixed", "steady" or "not-steady" (stopped at the maximum), for the RESULT line. */
  String outcome() {
    return !isSteadyRule() ? "fixed" : steady() ? "steady" : "not-steady";
  }
}
