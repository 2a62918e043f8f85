package org.sparktf.examples.reporting;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparktf.tfrecord.io.TFRecordFrameReader;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

/**
 * The scalars of every TensorBoard event file under a directory, by run (the event file's directory
 * relative to the root, "" for the root itself, as TensorBoard names runs) and tag, each in step
 * order. Reads through Hadoop's FileSystem, so the model directory may be on HDFS.
 */
public final class EventScalars {
  /** One scalar: its global step, the wall time it was written at (seconds), its value. */
  public record Point(long step, double wallTime, double value) {}

  private final Map<String, Map<String, List<Point>>> runs;

  private EventScalars(Map<String, Map<String, List<Point>>> runs) {
    this.runs = runs;
  }

  /**
   * Reads every {@code events.out.tfevents.*} file under {@code dir} (recursively), checking each
   * record's CRCs.
   *
   * @throws UncheckedIOException if {@code dir} or a file cannot be read, naming it
   */
  public static EventScalars read(Configuration conf, String dir) {
    Path root = new Path(dir);
    Map<String, Map<String, List<Point>>> runs = new TreeMap<>();
    try {
      FileSystem fs = root.getFileSystem(conf);
      Path qualified = fs.makeQualified(root);
      collect(fs, qualified, qualified.toUri().getPath(), runs);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read the TensorBoard event files under " + dir + ": " + e.getMessage(), e);
    }
    for (Map<String, List<Point>> tags : runs.values()) {
      tags.values().forEach(points -> points.sort(Comparator.comparingLong(Point::step)));
    }
    return new EventScalars(runs);
  }

  private static void collect(
      FileSystem fs, Path dir, String rootPath, Map<String, Map<String, List<Point>>> runs)
      throws IOException {
    FileStatus[] children;
    try {
      children = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return;
    }
    for (FileStatus child : children) {
      Path path = child.getPath();
      if (child.isDirectory()) {
        collect(fs, path, rootPath, runs);
      } else if (path.getName().startsWith("events.out.tfevents.")) {
        String run = path.getParent().toUri().getPath().substring(rootPath.length());
        Map<String, List<Point>> tags =
            runs.computeIfAbsent(run.replaceAll("^/+", ""), r -> new TreeMap<>());
        readFile(fs, path, tags);
      }
    }
  }

  private static void readFile(FileSystem fs, Path file, Map<String, List<Point>> tags)
      throws IOException {
    try (InputStream in = fs.open(file);
        TFRecordFrameReader frames = new TFRecordFrameReader(in, file.toString(), true)) {
      while (frames.next()) {
        Event event =
            Event.parseFrom(
                com.google.protobuf.ByteString.copyFrom(
                    frames.data(), frames.dataOffset(), frames.length()));
        if (!event.hasSummary()) {
          continue;
        }
        for (Summary.Value value : event.getSummary().getValueList()) {
          if (value.hasSimpleValue()) {
            tags.computeIfAbsent(value.getTag(), t -> new ArrayList<>())
                .add(new Point(event.getStep(), event.getWallTime(), value.getSimpleValue()));
          }
        }
      }
    }
  }

  /** The runs that have scalars, sorted; "" is the root directory. */
  public List<String> runs() {
    return List.copyOf(runs.keySet());
  }

  /** The tags of {@code run}, sorted; empty when the run has no scalars. */
  public List<String> tags(String run) {
    return List.copyOf(runs.getOrDefault(run, Map.of()).keySet());
  }

  /** The points of {@code tag} in {@code run}, by step; empty when there are none. */
  public List<Point> points(String run, String tag) {
    return List.copyOf(runs.getOrDefault(run, Map.of()).getOrDefault(tag, List.of()));
  }

  /** The earliest wall time of any scalar, or NaN when there is none: where time axes start. */
  public double firstWallTime() {
    return runs.values().stream()
        .flatMap(tags -> tags.values().stream())
        .flatMap(List::stream)
        .mapToDouble(Point::wallTime)
        .min()
        .orElse(Double.NaN);
  }
}
