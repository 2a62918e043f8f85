package org.sparktf.examples.reporting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.SummaryWriter;

class TrainingPlotsTest {
  @TempDir Path dir;

  private final Configuration conf = new Configuration();

  private void write(String run, String tag, long[] steps, double[] values) {
    try (SummaryWriter writer = SummaryWriter.open(conf, dir.resolve(run).toUri().toString())) {
      for (int i = 0; i < steps.length; i++) {
        writer.scalar(tag, steps[i], values[i]);
      }
    }
  }

  @Test
  void drawsLossEvaluationAndPerWorkerThroughputFromTheEventFiles() throws Exception {
    write("", "loss", new long[] {1, 50, 100, 150}, new double[] {2.3, 1.1, 0.6, 0.4});
    write("eval", "accuracy", new long[] {100, 150}, new double[] {0.81, 0.9});
    write("", Throughput.TAG, new long[] {40, 120}, new double[] {900, 950});
    write("worker_1", Throughput.TAG, new long[] {41, 121, 151}, new double[] {800, 850, 870});
    Path plots = dir.resolve("plots");

    List<String> written =
        TrainingPlots.write(conf, dir.toUri().toString(), plots.toUri().toString(), "Test");

    assertThat(written)
        .extracting(p -> p.substring(p.lastIndexOf('/') + 1))
        .containsExactly(
            "loss_vs_step.png",
            "loss_vs_time.png",
            "eval_accuracy_vs_step.png",
            "eval_accuracy_vs_time.png",
            "examples_per_sec.png");
    EventScalars scalars = EventScalars.read(conf, dir.toUri().toString());
    assertThat(scalars.runs()).containsExactly("", "eval", "worker_1");
    RunOutputs.assertSamePoints(
        RunOutputs.assertChart(plots, "loss_vs_step"), scalars.points("", "loss"));
    RunOutputs.assertSamePoints(
        RunOutputs.assertChart(plots, "loss_vs_time"), scalars.points("", "loss"));
    RunOutputs.assertSamePoints(
        RunOutputs.assertChart(plots, "eval_accuracy_vs_step"), scalars.points("eval", "accuracy"));
    List<String[]> throughput = RunOutputs.assertChart(plots, "examples_per_sec");
    assertThat(throughput)
        .extracting(r -> r[0] + "@" + r[1] + "=" + r[3])
        .containsExactly(
            "worker 0 (chief)@40=900.0",
            "worker 0 (chief)@120=950.0",
            "worker 1@41=800.0",
            "worker 1@121=850.0",
            "worker 1@151=870.0");
  }

  @Test
  void leavesOutChartsWithoutDataAndRefusesARunWithoutLoss() throws Exception {
    write("", "loss", new long[] {1}, new double[] {0.7});
    Path plots = dir.resolve("plots");
    assertThat(TrainingPlots.write(conf, dir.toString(), plots.toString(), "One point")).hasSize(2);
    assertThat(RunOutputs.assertChart(plots, "loss_vs_step")).hasSize(1);
    assertThat(plots.resolve("examples_per_sec.png")).doesNotExist();

    Path empty = dir.resolve("empty");
    write("empty", "accuracy", new long[] {1}, new double[] {0.5});
    assertThatThrownBy(
            () -> TrainingPlots.write(conf, empty.toString(), plots.toString(), "No loss"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("hold no \"loss\" scalar")
        .hasMessageContaining("summaryEvery");
  }
}
