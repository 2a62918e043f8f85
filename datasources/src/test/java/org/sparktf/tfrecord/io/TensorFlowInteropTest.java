package org.sparktf.tfrecord.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.ReaderRead;
import org.tensorflow.op.io.TfRecordReader;
import org.tensorflow.types.TString;

/** TensorFlow's native reader and writer against ours, for every compression TensorFlow has. */
class TensorFlowInteropTest {
  @TempDir Path tmp;

  private static List<byte[]> records() {
    List<byte[]> records = TFRecordFrameReaderTest.randomRecords(200, 3000, 11);
    records.add(new byte[0]);
    records.add(new byte[300_000]);
    return records;
  }

  private static String tfName(TFRecordCompression c) {
    return c == TFRecordCompression.NONE ? "" : c.name();
  }

  @Test
  void tensorflowReadsWhatWeWrite() throws Exception {
    for (TFRecordCompression c : TFRecordCompression.values()) {
      List<byte[]> records = records();
      Path file = tmp.resolve("ours" + c.extension());
      try (TFRecordFrameWriter writer =
          new TFRecordFrameWriter(c.compress(new FileOutputStream(file.toFile())))) {
        for (byte[] r : records) {
          writer.write(r, 0, r.length);
        }
      }
      List<byte[]> back = readWithTensorFlow(file, tfName(c));
      assertThat(back).as("%s", c).hasSize(records.size());
      for (int i = 0; i < records.size(); i++) {
        assertThat(back.get(i)).isEqualTo(records.get(i));
      }
    }
  }

  @Test
  void weReadWhatTensorflowWrites() throws Exception {
    for (TFRecordCompression c : TFRecordCompression.values()) {
      List<byte[]> records = records();
      Path file = tmp.resolve("theirs" + c.extension());
      writeWithTensorFlow(records, file, tfName(c));
      List<byte[]> back =
          TFRecordFrameReaderTest.readAll(
              new TFRecordFrameReader(
                  c.decompress(new FileInputStream(file.toFile())), file.toString(), true));
      assertThat(back).as("%s", c).hasSize(records.size());
      for (int i = 0; i < records.size(); i++) {
        assertThat(back.get(i)).isEqualTo(records.get(i));
      }
    }
  }

  /** TensorFlow's queue-based TFRecordReader (tf.data's reader fails in TF Java 1.1.0 graphs). */
  private static List<byte[]> readWithTensorFlow(Path file, String compression) {
    List<byte[]> out = new ArrayList<>();
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      FifoQueue queue = tf.io.fifoQueue(List.of(TString.class));
      var enqueue =
          tf.io.queueEnqueueMany(
              queue, List.of(tf.constant(StandardCharsets.UTF_8, new String[] {file.toString()})));
      var close = tf.io.queueClose(queue);
      TfRecordReader reader = tf.io.tfRecordReader(TfRecordReader.compressionType(compression));
      ReaderRead read = tf.io.readerRead(reader, queue);
      try (Session session = new Session(graph)) {
        session.runner().addTarget(enqueue).run().close();
        session.runner().addTarget(close).run().close();
        while (true) {
          try (Result result = session.runner().fetch(read.value()).run()) {
            out.add(((TString) result.get(0)).asBytes().getObject());
          } catch (TFOutOfRangeException end) {
            return out;
          }
        }
      }
    }
  }

  private static void writeWithTensorFlow(List<byte[]> records, Path file, String compression) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var values = NdArrays.ofObjects(byte[].class, Shape.of(records.size()));
      for (int i = 0; i < records.size(); i++) {
        values.setObject(records.get(i), i);
      }
      Operand<TString> strings = tf.constant(TString.tensorOfBytes(values));
      var dataset = tf.data.tensorSliceDataset(List.of(strings), List.of(Shape.scalar()));
      var write =
          tf.data.datasetToTfRecord(
              dataset, tf.constant(file.toString()), tf.constant(compression));
      try (Session session = new Session(graph)) {
        session.runner().addTarget(write).run().close();
      }
    }
  }
}
