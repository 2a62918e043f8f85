package org.sparktf.examples.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.sparktf.examples.reporting.EventScalars.Point;
import org.sparktf.tfrecord.io.TFRecordFrameReader;
import org.tensorflow.Graph;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;

/** Checks of what a run leaves for people to look at, for the example tests. */
public final class RunOutputs {
  private RunOutputs() {}

  /**
   * Asserts that the chief's event files in {@code modelDir} hold exactly one graph, that the
   * GraphDef parses with TensorFlow's own protos and imports into a new {@link Graph}, and that the
   * graph has the {@code ops} named.
   */
  public static void assertGraphWithOps(Path modelDir, String... ops) throws IOException {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(trainingGraph(modelDir));
      for (String op : ops) {
        assertThat(graph.operation(op)).as(op + " in the graph of " + modelDir).isNotNull();
      }
    }
  }

  /** The one training graph the chief's event files in {@code modelDir} hold, with its devices. */
  public static GraphDef trainingGraph(Path modelDir) throws IOException {
    List<Event> graphs = new ArrayList<>();
    try (Stream<Path> files = Files.list(modelDir)) {
      for (Path file :
          files
              .filter(f -> f.getFileName().toString().startsWith("events.out.tfevents."))
              .toList()) {
        try (InputStream in = Files.newInputStream(file);
            TFRecordFrameReader frames = new TFRecordFrameReader(in, file.toString(), true)) {
          while (frames.next()) {
            Event event =
                Event.parseFrom(
                    Arrays.copyOfRange(
                        frames.data(), frames.dataOffset(), frames.dataOffset() + frames.length()));
            if (!event.getGraphDef().isEmpty()) {
              graphs.add(event);
            }
          }
        }
      }
    }
    assertThat(graphs).as("graph events in " + modelDir).hasSize(1);
    return GraphDef.parseFrom(graphs.get(0).getGraphDef());
  }

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
      assertThat(Double.parseDouble(rows.get(i)[3]))
          .isCloseTo(points.get(i).value(), org.assertj.core.data.Offset.offset(1e-6));
      assertThat(Double.parseDouble(rows.get(i)[2])).isGreaterThanOrEqualTo(0);
    }
  }
}
