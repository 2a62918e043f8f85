package org.sparktf.examples.reporting;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.sparktf.examples.reporting.EventScalars.Point;

/**
 * Draws a run's curves from the scalars in its model directory's TensorBoard event files, as PNG
 * charts of {@link #WIDTH} x {@link #HEIGHT} pixels, each with a CSV of its points beside it
 * ({@code series,step,seconds,value}; seconds since the run's first scalar):
 *
 * <ul>
 *   <li>{@code loss_vs_step.png}, {@code loss_vs_time.png}: the chief's training loss;
 *   <li>{@code eval_<tag>_vs_step.png}, {@code eval_<tag>_vs_time.png}: each evaluation metric in
 *       {@code <modelDir>/eval} (validation log loss, accuracy, precision@1, ...);
 *   <li>{@code examples_per_sec.png}: each worker's {@link Throughput} over time.
 * </ul>
 *
 * A chart whose data is missing (no evaluation, no throughput hook) is not written. Works on any
 * Hadoop FileSystem and without a display ({@code java.awt.headless}).
 */
public final class TrainingPlots {
  public static final int WIDTH = 800;
  public static final int HEIGHT = 500;

  /** TensorBoard's run of the evaluation metrics, relative to the model directory. */
  public static final String EVAL_RUN = "eval";

  private TrainingPlots() {}

  /**
   * Writes the charts of {@code modelDir}'s scalars into {@code plotDir} (created if needed) and
   * returns the PNG files written.
   *
   * @param title what the run was, for the chart titles, such as "MNIST (InputMode.SPARK)"
   * @throws IllegalStateException if the model directory holds no training loss
   * @throws UncheckedIOException if an event file cannot be read or a chart cannot be written
   */
  public static List<String> write(
      Configuration conf, String modelDir, String plotDir, String title) {
    EventScalars scalars = EventScalars.read(conf, modelDir);
    List<Point> loss = scalars.points("", "loss");
    if (loss.isEmpty()) {
      throw new IllegalStateException(
          "Cannot plot the training of "
              + modelDir
              + ": its event files hold no \"loss\" scalar; train with summaries on"
              + " (TrainingLoop.Builder.summaryEvery > 0) and a model directory");
    }
    double start = scalars.firstWallTime();
    List<String> written = new ArrayList<>();
    Path dir = new Path(plotDir);
    written.add(
        chart(
            conf,
            dir,
            "loss_vs_step",
            title + ": training loss",
            "loss",
            false,
            Map.of("loss", loss),
            start));
    written.add(
        chart(
            conf,
            dir,
            "loss_vs_time",
            title + ": training loss",
            "loss",
            true,
            Map.of("loss", loss),
            start));
    for (String tag : scalars.tags(EVAL_RUN)) {
      Map<String, List<Point>> series = Map.of(tag, scalars.points(EVAL_RUN, tag));
      String name = "eval_" + tag.replaceAll("[^A-Za-z0-9_]", "_");
      String what = title + ": " + tag + " (evaluation)";
      written.add(chart(conf, dir, name + "_vs_step", what, tag, false, series, start));
      written.add(chart(conf, dir, name + "_vs_time", what, tag, true, series, start));
    }
    Map<String, List<Point>> throughput = new LinkedHashMap<>();
    for (String run : scalars.runs()) {
      List<Point> points = scalars.points(run, Throughput.TAG);
      if (!points.isEmpty()) {
        throughput.put(run.isEmpty() ? "worker 0 (chief)" : run.replace('_', ' '), points);
      }
    }
    if (!throughput.isEmpty()) {
      written.add(
          chart(
              conf,
              dir,
              "examples_per_sec",
              title + ": examples/s per worker",
              "examples/s",
              true,
              throughput,
              start));
    }
    return written;
  }

  /** Writes {@code <dir>/<name>.png} and its points as {@code <name>.csv}; returns the PNG path. */
  private static String chart(
      Configuration conf,
      Path dir,
      String name,
      String title,
      String yTitle,
      boolean byTime,
      Map<String, List<Point>> series,
      double start) {
    double span =
        series.values().stream()
            .flatMap(List::stream)
            .mapToDouble(p -> p.wallTime() - start)
            .max()
            .orElse(0);
    // Seconds for a short test run, minutes or hours for a real one (the reference plots hours).
    double unit = span >= 36_000 ? 3600 : span >= 600 ? 60 : 1;
    String unitName = unit == 3600 ? "hours" : unit == 60 ? "minutes" : "seconds";
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(byTime ? "training time (" + unitName + ")" : "global step")
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setLegendVisible(series.size() > 1);
    chart.getStyler().setXAxisDecimalPattern("#,##0.##");
    chart.getStyler().setYAxisDecimalPattern("#,##0.####");
    // Steps and times start at 0; a single value (one evaluation) gets a range around it instead of
    // XChart's degenerate axis.
    chart.getStyler().setXAxisMin(0.0);
    double low =
        series.values().stream().flatMap(List::stream).mapToDouble(Point::value).min().orElse(0);
    double high =
        series.values().stream().flatMap(List::stream).mapToDouble(Point::value).max().orElse(0);
    if (low == high) {
      chart.getStyler().setYAxisMin(Math.min(0, 2 * low));
      chart.getStyler().setYAxisMax(high > 0 ? 1.25 * high : 1);
    }
    StringBuilder csv = new StringBuilder("series,step,seconds,value\n");
    series.forEach(
        (label, points) -> {
          double[] x = new double[points.size()];
          double[] y = new double[points.size()];
          for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            double seconds = p.wallTime() - start;
            x[i] = byTime ? seconds / unit : p.step();
            y[i] = p.value();
            csv.append(
                String.format(Locale.ROOT, "%s,%d,%.3f,%s%n", label, p.step(), seconds, p.value()));
          }
          chart.addSeries(label, x, y);
        });
    Path png = new Path(dir, name + ".png");
    write(conf, png, out -> ImageIO.write(image(chart), "png", out));
    write(
        conf,
        new Path(dir, name + ".csv"),
        out -> out.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
    return png.toString();
  }

  private static BufferedImage image(XYChart chart) {
    if (System.getProperty("java.awt.headless") == null) {
      // Drawing needs no display; without this, AWT looks for one on some systems and fails.
      System.setProperty("java.awt.headless", "true");
    }
    return BitmapEncoder.getBufferedImage(chart);
  }

  @FunctionalInterface
  private interface Writing {
    void to(OutputStream out) throws IOException;
  }

  private static void write(Configuration conf, Path file, Writing writing) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (fs instanceof ChecksumFileSystem) {
        // No ".crc" side files next to the charts on a local disk.
        fs = ((ChecksumFileSystem) fs).getRawFileSystem();
      }
      fs.mkdirs(file.getParent());
      try (OutputStream out = fs.create(file, true)) {
        writing.to(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the chart " + file + ": " + e.getMessage(), e);
    }
  }
}
