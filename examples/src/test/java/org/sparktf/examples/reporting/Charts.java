package org.sparktf.examples.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.sparktf.examples.reporting.EventScalars.Point;

/** Checks of the charts {@link TrainingPlots} wrote, for the example tests. */
public final class Charts {
  private Charts() {}

  /**
   * Asserts that {@code <dir>/<name>.png} decodes to the chart size and is not blank (a drawn chart
   * has axes, text and curves: many colours), and returns the rows of the CSV beside it, header
   * checked and dropped.
   */
  public static List<String[]> assertChart(Path dir, String name) throws IOException {
    Path png = dir.resolve(name + ".png");
    assertThat(png).as(name).isRegularFile();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as(name + " decodes as an image").isNotNull();
    assertThat(image.getWidth()).as(name).isEqualTo(TrainingPlots.WIDTH);
    assertThat(image.getHeight()).as(name).isEqualTo(TrainingPlots.HEIGHT);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours.size()).as(name + ": distinct colours of a drawn chart").isGreaterThan(20);
    List<String> lines = Files.readAllLines(dir.resolve(name + ".csv"), StandardCharsets.UTF_8);
    assertThat(lines.get(0)).isEqualTo("series,step,seconds,value");
    return lines.stream().skip(1).map(l -> l.split(",")).collect(Collectors.toList());
  }

  /** Asserts that the CSV rows are exactly {@code points}, by step and value, in order. */
  public static void assertSamePoints(List<String[]> rows, List<Point> points) {
    assertThat(points).isNotEmpty();
    assertThat(rows).hasSameSizeAs(points);
    for (int i = 0; i < rows.size(); i++) {
      assertThat(Long.parseLong(rows.get(i)[1])).isEqualTo(points.get(i).step());
      assertThat(Double.parseDouble(rows.get(i)[3])).isEqualTo(points.get(i).value());
      assertThat(Double.parseDouble(rows.get(i)[2])).isGreaterThanOrEqualTo(0);
    }
  }
}
