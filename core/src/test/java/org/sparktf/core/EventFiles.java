package org.sparktf.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.sparktf.tfrecord.io.TFRecordFrameReader;
import org.tensorflow.proto.Event;

/** Reads TensorBoard event files back as Event records, checking every frame's CRCs. */
final class EventFiles {
  private EventFiles() {}

  static List<Path> in(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("events.out.tfevents."))
          .collect(Collectors.toList());
    }
  }

  static List<Event> read(Path file) throws IOException {
    List<Event> events = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file);
        TFRecordFrameReader frames = new TFRecordFrameReader(in, file.toString(), true)) {
      while (frames.next()) {
        byte[] record =
            Arrays.copyOfRange(
                frames.data(), frames.dataOffset(), frames.dataOffset() + frames.length());
        events.add(Event.parseFrom(record));
      }
    }
    return events;
  }

  /** The simple values of one tag, in order. */
  static List<Float> scalars(List<Event> events, String tag) {
    List<Float> values = new ArrayList<>();
    for (Event event : events) {
      if (event.hasSummary()) {
        event.getSummary().getValueList().stream()
            .filter(v -> v.getTag().equals(tag))
            .forEach(v -> values.add(v.getSimpleValue()));
      }
    }
    return values;
  }
}
