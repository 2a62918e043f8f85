package org.sparktf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReadCoreReportTest {
  private static Map<String, String> result(
      String label, String contender, String rowsPerS, String perCpu, String checksum) {
    return ReadCoreReport.parse(
        "RESULT label="
            + label
            + " contender="
            + contender
            + " dataset=mnist cpus=1 rows=100 median_s=0.5 best_s=0.4 rows_per_s="
            + rowsPerS
            + " rows_per_cpu_s="
            + perCpu
            + " checksum="
            + checksum);
  }

  @Test
  void ratiosCompareEachSparkTFPathWithTFNativeOfTheSamePinning() {
    List<Map<String, String>> results =
        List.of(
            result("pinned", "sparktf-direct", "300", "150", "7"),
            result("pinned", "sparktf-row", "200", "100", "7"),
            result("pinned", "tf-native", "100", "100", "7"),
            result("unpinned", "sparktf-direct", "400", "120", "7"),
            result("unpinned", "tf-native", "200", "100", "7"));

    ReadCoreReport.checkChecksums(results);
    String section = ReadCoreReport.section(results, "cmd", "machine", "1 / 2");

    assertThat(section)
        .startsWith(ReadCoreReport.START)
        .endsWith(ReadCoreReport.END + "\n")
        .contains("- pinned, mnist, sparktf-direct / TF native: 3.00x rows/s, 1.50x rows per CPU")
        .contains("- pinned, mnist, sparktf-row / TF native: 2.00x rows/s, 1.00x rows per CPU")
        .contains("- unpinned, mnist, sparktf-direct / TF native: 2.00x rows/s, 1.20x rows per CPU")
        .contains("Command: `cmd`");
  }

  @Test
  void theTableShowsEachContendersWarmUpAndJitShare() {
    Map<String, String> steady =
        ReadCoreReport.parse(
            "RESULT label=pinned contender=sparktf-direct dataset=mnist cpus=1 rows=100"
                + " median_s=0.5 best_s=0.4 rows_per_s=300 rows_per_cpu_s=150 checksum=7"
                + " warmup=40 warmup_outcome=not-steady jit_share=0.12");
    Map<String, String> fixed =
        ReadCoreReport.parse(
            "RESULT label=pinned contender=tf-native dataset=mnist cpus=1 rows=100"
                + " median_s=0.5 best_s=0.4 rows_per_s=100 rows_per_cpu_s=100 checksum=7"
                + " warmup=3 warmup_outcome=fixed jit_share=0.02");

    String section = ReadCoreReport.section(List.of(steady, fixed), "cmd", "machine", "1 / 2");

    assertThat(section)
        .contains("| warm-up passes | JIT share |")
        .contains("| 150 | 40 (not steady) | 0.12 | 7 |")
        .contains("| 100 | 3 | 0.02 | 7 |");
  }

  @Test
  void differentChecksumsFailTheReport() {
    List<Map<String, String>> results =
        List.of(
            result("pinned", "sparktf-direct", "300", "150", "7"),
            result("pinned", "tf-native", "100", "100", "8"));

    assertThatThrownBy(() -> ReadCoreReport.checkChecksums(results))
        .hasMessageContaining("Cannot report")
        .hasMessageContaining("tf-native")
        .hasMessageContaining("100/8");
  }
}
