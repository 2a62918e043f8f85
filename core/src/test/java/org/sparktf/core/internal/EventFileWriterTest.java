package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.SummaryWriter;
import org.sparktf.tfrecord.io.TFRecordFrameReader;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.ReaderRead;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TString;

class EventFileWriterTest {
  @TempDir Path dir;

  private Path writeThree() {
    try (EventFileWriter writer =
        EventFileWriter.open(
            new Configuration(), dir.resolve("logs").toUri().toString(), "node1")) {
      writer.scalar("loss", 1, 0.5);
      writer.scalar("loss", 2, 0.25);
      writer.scalar("global_step/sec", 2, 10);
      writer.flush();
      return Path.of(writer.file().toUri());
    }
  }

  @Test
  void writesEventsThatParseBackInOrder() throws Exception {
    Path file = writeThree();
    assertThat(file.getFileName().toString()).matches("events\\.out\\.tfevents\\.\\d{10}\\.node1");
    List<Event> events = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file);
        TFRecordFrameReader frames = new TFRecordFrameReader(in, file.toString(), true)) {
      while (frames.next()) {
        events.add(
            Event.parseFrom(
                Arrays.copyOfRange(
                    frames.data(), frames.dataOffset(), frames.dataOffset() + frames.length())));
      }
    }
    assertThat(events).hasSize(4);
    assertThat(events.get(0).getFileVersion()).isEqualTo("brain.Event:2");
    assertThat(events.get(1).getStep()).isEqualTo(1);
    assertThat(events.get(1).getSummary().getValue(0).getTag()).isEqualTo("loss");
    assertThat(events.get(1).getSummary().getValue(0).getSimpleValue()).isEqualTo(0.5f);
    assertThat(events.get(2).getSummary().getValue(0).getSimpleValue()).isEqualTo(0.25f);
    assertThat(events.get(3).getSummary().getValue(0).getTag()).isEqualTo("global_step/sec");
    assertThat(events.get(3).getWallTime()).isGreaterThan(1.7e9);
  }

  @Test
  void tensorFlowsOwnRecordReaderReadsTheFile() throws Exception {
    List<Event> events = readWithTensorFlow(writeThree(), 4);
    assertThat(events.get(0).getFileVersion()).isEqualTo("brain.Event:2");
    assertThat(events.get(2).getSummary().getValue(0).getSimpleValue()).isEqualTo(0.25f);
  }

  @Test
  void theGraphReadByTensorFlowsRecordReaderImportsIntoANewGraph() throws Exception {
    Path file;
    try (Graph model = new Graph();
        EventFileWriter writer =
            (EventFileWriter) SummaryWriter.open(new Configuration(), dir.toUri().toString())) {
      Ops tf = Ops.create(model);
      tf.math.add(
          tf.withName("weights").variable(tf.constant(1f)), tf.withName("bias").constant(2f));
      writer.graph(model);
      writer.scalar("accuracy", 5, 0.75);
      writer.flush();
      file = Path.of(writer.file().toUri());
      assertThatThrownBy(() -> writer.graph(null))
          .hasMessage("Invalid graph for TensorBoard: null");
    }
    List<Event> events = readWithTensorFlow(file, 3);
    assertThat(events.get(1).getGraphDef().isEmpty()).isFalse();
    try (Graph imported = new Graph()) {
      imported.importGraphDef(GraphDef.parseFrom(events.get(1).getGraphDef()));
      assertThat(imported.operation("weights")).isNotNull();
      assertThat(imported.operation("bias")).isNotNull();
      assertThat(imported.operation("weights").type()).isEqualTo("VariableV2");
    }
    assertThat(events.get(2).getSummary().getValue(0).getTag()).isEqualTo("accuracy");
    assertThat(events.get(2).getStep()).isEqualTo(5);
  }

  /**
   * The {@code count} records of {@code file}, all it has, as TensorFlow's TFRecordReader reads.
   */
  private static List<Event> readWithTensorFlow(Path file, int count) throws Exception {
    List<Event> events = new ArrayList<>();
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      FifoQueue files = tf.io.fifoQueue(List.of(TString.class), FifoQueue.shapes(Shape.scalar()));
      var enqueue = tf.io.queueEnqueue(files, List.of(tf.constant(file.toString())));
      var closeQueue = tf.io.queueClose(files);
      ReaderRead read = tf.io.readerRead(tf.io.tfRecordReader(), files);
      try (Session session = new Session(graph)) {
        session.run(enqueue);
        session.run(closeQueue);
        for (int i = 0; i < count; i++) {
          try (TString value = (TString) session.runner().fetch(read.value()).run().get(0)) {
            events.add(Event.parseFrom(value.asBytes().getObject()));
          }
        }
        // ... and no more: the reader reached the end of the only file.
        assertThatThrownBy(() -> session.runner().fetch(read.value()).run())
            .hasMessageContaining("closed");
      }
    }
    return events;
  }

  @Test
  void refusesAnEmptyTagAndWritesAfterClose() {
    EventFileWriter writer = EventFileWriter.open(new Configuration(), dir.toUri().toString(), "h");
    assertThatThrownBy(() -> writer.scalar("", 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid summary tag: ''");
    assertThatThrownBy(() -> writer.scalar(" ", 1, 1))
        .hasMessageStartingWith("Invalid summary tag");
    assertThatThrownBy(() -> writer.scalar(null, 1, 1)).hasMessage("Invalid summary tag: 'null'");
    writer.close();
    writer.close();
    assertThatThrownBy(() -> writer.scalar("loss", 1, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("Cannot write")
        .hasMessageEndingWith("it is closed");
    assertThatThrownBy(writer::flush).hasMessageEndingWith("it is closed");
  }

  @Test
  void flushMakesRecordsVisibleBeforeClose() throws Exception {
    try (EventFileWriter writer =
        EventFileWriter.open(new Configuration(), dir.toUri().toString(), "h")) {
      Path file = Path.of(writer.file().toUri());
      writer.scalar("loss", 7, 3.5);
      writer.flush();
      List<Event> events = new ArrayList<>();
      try (InputStream in = Files.newInputStream(file);
          TFRecordFrameReader frames = new TFRecordFrameReader(in, file.toString(), true)) {
        while (frames.next()) {
          events.add(
              Event.parseFrom(
                  Arrays.copyOfRange(
                      frames.data(), frames.dataOffset(), frames.dataOffset() + frames.length())));
        }
      }
      assertThat(events).hasSize(2);
      assertThat(events.get(1).getStep()).isEqualTo(7);
      assertThat(events.get(1).getSummary().getValue(0).getSimpleValue()).isEqualTo(3.5f);
    }
  }

  @Test
  void createsMissingDirectoriesAndRejectsBadNames() {
    Path nested = dir.resolve("a").resolve("b");
    String uri = nested.toUri().toString();
    try (EventFileWriter writer = EventFileWriter.open(new Configuration(), uri, "h")) {
      assertThat(writer.logDir()).isEqualTo(uri);
      assertThat(Files.isRegularFile(Path.of(writer.file().toUri()))).isTrue();
      assertThat(Path.of(writer.file().toUri()).getParent()).isEqualTo(nested);
    }
    // Only the event file: no ".crc" side file for TensorBoard to mistake for one.
    assertThat(nested.toFile().list())
        .singleElement()
        .asString()
        .startsWith("events.out.tfevents.");
    assertThatThrownBy(() -> EventFileWriter.open(new Configuration(), "", "h"))
        .hasMessageStartingWith("Invalid TensorBoard log directory");
    assertThatThrownBy(() -> EventFileWriter.open(new Configuration(), dir.toString(), "a/b"))
        .hasMessageStartingWith("Invalid hostname");
  }

  @Test
  void wrapsFileSystemFailuresWithTheFile() throws Exception {
    // A regular file where the directory should be: mkdirs/create fail.
    Path blocker = Files.createFile(dir.resolve("blocker"));
    assertThatThrownBy(
            () ->
                EventFileWriter.open(
                    new Configuration(), blocker.resolve("logs").toUri().toString(), "h"))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageStartingWith("Cannot create TensorBoard event file ")
        .hasMessageContaining("events.out.tfevents.");
  }
}
