package org.sparktf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HappyPathAbReportTest {

  @Test
  void aDropOfMoreThanFivePercentAndMoreThanTheSpreadIsASlowdown() {
    HappyPathAbReport.Comparison c =
        HappyPathAbReport.Comparison.of(List.of(100.0, 101.0, 99.0), List.of(93.0, 94.0, 92.0));

    assertThat(c.beforeMedian()).isEqualTo(100.0);
    assertThat(c.afterMedian()).isEqualTo(93.0);
    assertThat(c.spread()).isEqualTo(2.0);
    assertThat(c.slowdown()).isTrue();
    assertThat(c.verdict()).isEqualTo("**slowdown** (-7.0%)");
  }

  @Test
  void aDropWithinTheSpreadOfTheRunsIsNotASlowdown() {
    HappyPathAbReport.Comparison c =
        HappyPathAbReport.Comparison.of(List.of(100.0, 110.0, 90.0), List.of(93.0, 99.0, 85.0));

    assertThat(c.spread()).isEqualTo(20.0);
    assertThat(c.slowdown()).isFalse();
    assertThat(c.verdict()).isEqualTo("no slowdown (-7.0%, within the spread of the runs)");
  }

  @Test
  void aDropOfAtMostFivePercentIsNotASlowdownHoweverTightTheRuns() {
    HappyPathAbReport.Comparison c =
        HappyPathAbReport.Comparison.of(List.of(100.0, 100.0), List.of(96.0, 96.0));

    assertThat(c.slowdown()).isFalse();
    assertThat(c.verdict()).isEqualTo("no slowdown (-4.0%, within 5%)");
  }

  @Test
  void aFasterAfterIsNeverASlowdown() {
    HappyPathAbReport.Comparison c =
        HappyPathAbReport.Comparison.of(List.of(100.0, 100.0), List.of(150.0, 150.0));

    assertThat(c.slowdown()).isFalse();
    assertThat(c.ratio()).isEqualTo(1.5);
    assertThat(c.verdict()).isEqualTo("no slowdown (+50.0%)");
  }

  @Test
  void anEvenNumberOfRunsTakesTheMeanOfTheMiddleTwo() {
    assertThat(HappyPathAbReport.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
  }

  @Test
  void theSectionComparesEachMetricOfAlternatingRuns() {
    List<String> lines =
        List.of(
            "before RESULT feed_rows_per_s=100.0 read_rows_per_s=200.0",
            "after RESULT feed_rows_per_s=90.0 read_rows_per_s=201.0",
            "before RESULT feed_rows_per_s=100.0 read_rows_per_s=202.0",
            "after RESULT feed_rows_per_s=90.0 read_rows_per_s=203.0");

    String section = HappyPathAbReport.section("T", "b1", "a1", "bench/ab.sh b1", lines);

    assertThat(section)
        .startsWith(HappyPathAbReport.START)
        .endsWith(HappyPathAbReport.END + "\n")
        .contains("| SPARK-mode feed (rows/s) | 100 | 100 - 100 | 90 | 90 - 90 | 0.900 |")
        .contains("| TFRecord read, uncompressed (rows/s) | 201 | 200 - 202 | 202 | 201 - 203 |")
        .contains("**Verdict: slowdown in SPARK-mode feed (rows/s).**")
        .contains("2 runs per side")
        .contains("Only 2 runs per side: not a result (issue 10 asks for at least 5).");
  }

  @Test
  void fiveRunsPerSideAreAResult() {
    List<String> lines = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      lines.add("before RESULT feed_rows_per_s=100.0");
      lines.add("after RESULT feed_rows_per_s=99.0");
    }

    String section = HappyPathAbReport.section("T", "b", "a", "c", lines);

    assertThat(section)
        .contains("5 runs per side")
        .contains("no slowdown (-1.0%, within 5%)")
        .contains("**Verdict: no slowdown.**")
        .doesNotContain("not a result");
  }

  @Test
  void theSectionReplacesTheOldOneAndKeepsTheRestOfTheFile() {
    String old =
        "# Benchmarks\n\nintro\n\n"
            + HappyPathAbReport.START
            + "\nold\n"
            + HappyPathAbReport.END
            + "\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n";
    String section = HappyPathAbReport.START + "\nnew\n" + HappyPathAbReport.END + "\n";

    String updated = HappyPathAbReport.replaceSection(old, section);

    assertThat(updated)
        .isEqualTo(
            "# Benchmarks\n\nintro\n\n"
                + HappyPathAbReport.START
                + "\nnew\n"
                + HappyPathAbReport.END
                + "\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n");
    assertThat(HappyPathAbReport.replaceSection("# Benchmarks\n", section))
        .isEqualTo("# Benchmarks\n\n" + section);
  }

  @Test
  void sidesThatMeasuredDifferentMetricsAreRejected() {
    List<String> lines =
        List.of(
            "before RESULT feed_rows_per_s=100.0",
            "after RESULT feed_rows_per_s=90.0 read_rows_per_s=1.0");

    assertThatThrownBy(() -> HappyPathAbReport.section("T", "b", "a", "c", lines))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid results: before measured [feed_rows_per_s]");
  }
}
