package org.sparktf.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.op.io.ReaderReadUpTo;
import org.tensorflow.op.io.TfRecordReader;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * TensorFlow's native C++ TFRecord reader and Example parser, driven from TF Java in graph mode,
 * single-threaded: filename queue, TFRecordReader, ReaderReadUpTo, ParseExampleV2. Non-nullable
 * columns are dense features; nullable ones are sparse features (absent = no entry).
 */
public final class TfNativeReader {
  private static final long BATCH = 512;

  /** What a native read saw: rows parsed and the sum of the "label" column (to verify values). */
  public record Outcome(long rows, long labelSum) {}

  /**
   * What a read that fetched every parsed value saw: rows, and {@link ValueChecksum}'s checksum of
   * every value (0 when not computed).
   */
  public record FullOutcome(long rows, long checksum) {}

  private TfNativeReader() {}

  /**
   * Reads and parses every record of the given uncompressed TFRecord files. The Graph, Session and
   * every fetched Tensor are closed here.
   */
  public static Outcome read(List<String> files, StructType schema) {
    try (Graph graph = new Graph()) {
      ParseExample parsed = pipeline(Ops.create(graph), files, schema, BATCH);
      int labelIndex = denseIndexOf(schema, "label");
      try (Session session = started(graph)) {
        return loop(session, parsed.denseValues().get(labelIndex));
      }
    }
  }

  /**
   * Reads and parses every record like {@link #read}, in batches of {@code batch} records, and
   * fetches every output of ParseExample (dense values, sparse indices, values and shapes) into the
   * Java client each batch, so that every value is materialised. With {@code checksum}, also sums
   * every fetched value with {@link ValueChecksum} (slow: for verifying, not timing).
   */
  public static FullOutcome readAll(
      List<String> files, StructType schema, long batch, boolean checksum) {
    try (Graph graph = new Graph()) {
      ParseExample parsed = pipeline(Ops.create(graph), files, schema, batch);
      List<Operand<?>> outputs = new ArrayList<>();
      outputs.addAll(parsed.denseValues());
      outputs.addAll(parsed.sparseIndices());
      outputs.addAll(parsed.sparseValues());
      outputs.addAll(parsed.sparseShapes());
      try (Session session = started(graph)) {
        return loopAll(session, outputs, parsed, checksum);
      }
    }
  }

  private static final String ENQUEUE = "enqueue_files";
  private static final String CLOSE = "close_files";

  /**
   * Builds filename queue, TFRecordReader, ReaderReadUpTo(batch) and ParseExample; the queue's
   * enqueue and close ops are named {@link #ENQUEUE} and {@link #CLOSE}.
   */
  private static ParseExample pipeline(Ops tf, List<String> files, StructType schema, long batch) {
    FifoQueue queue = tf.io.fifoQueue(List.of(TString.class));
    tf.withName(ENQUEUE)
        .io
        .queueEnqueueMany(
            queue, List.of(tf.constant(StandardCharsets.UTF_8, files.toArray(new String[0]))));
    tf.withName(CLOSE).io.queueClose(queue);
    TfRecordReader reader = tf.io.tfRecordReader(TfRecordReader.compressionType(""));
    ReaderReadUpTo records = tf.io.readerReadUpTo(reader, queue, tf.constant(batch));
    return parse(tf, records.values(), schema);
  }

  /** A single-threaded session whose filename queue holds every file and is closed. */
  private static Session started(Graph graph) {
    Session session = new Session(graph, singleThreaded());
    try {
      session.runner().addTarget(ENQUEUE).run().close();
      session.runner().addTarget(CLOSE).run().close();
      return session;
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private static FullOutcome loopAll(
      Session session, List<Operand<?>> outputs, ParseExample parsed, boolean checksum) {
    int dense = parsed.denseValues().size();
    int sparse = parsed.sparseValues().size();
    long rows = 0;
    long sum = 0;
    while (true) {
      Session.Runner runner = session.runner();
      outputs.forEach(runner::fetch);
      try (Result result = runner.run()) {
        rows += result.get(0).shape().size(0);
        if (checksum) {
          for (int i = 0; i < dense; i++) {
            sum += ValueChecksum.ofTensor(result.get(i));
          }
          for (int i = 0; i < sparse; i++) {
            sum += ValueChecksum.ofTensor(result.get(dense + sparse + i));
          }
        }
      } catch (TFOutOfRangeException endOfFiles) {
        return new FullOutcome(rows, sum);
      }
    }
  }

  private static Outcome loop(Session session, Operand<?> label) {
    long rows = 0;
    long labelSum = 0;
    while (true) {
      try (Result result = session.runner().fetch(label).run()) {
        TInt64 labels = (TInt64) result.get(0);
        long n = labels.shape().size(0);
        for (long i = 0; i < n; i++) {
          labelSum += labels.getLong(i);
        }
        rows += n;
      } catch (TFOutOfRangeException endOfFiles) {
        return new Outcome(rows, labelSum);
      }
    }
  }

  private static ParseExample parse(Ops tf, Operand<TString> serialized, StructType schema) {
    List<String> denseKeys = new ArrayList<>();
    List<Operand<?>> denseDefaults = new ArrayList<>();
    List<Shape> denseShapes = new ArrayList<>();
    List<String> sparseKeys = new ArrayList<>();
    List<Class<? extends TType>> sparseTypes = new ArrayList<>();
    for (StructField field : schema.fields()) {
      if (field.nullable()) {
        sparseKeys.add(field.name());
        sparseTypes.add(tfType(field.dataType()));
      } else {
        denseKeys.add(field.name());
        // An empty default makes the feature required.
        denseDefaults.add(emptyDefault(tf, field.dataType()));
        denseShapes.add(
            isArray(field.dataType()) ? Shape.of(BenchData.MNIST_PIXELS) : Shape.scalar());
      }
    }
    List<Class<? extends TType>> none = List.of();
    List<Class<? extends TNumber>> noSplits = List.of();
    return tf.io.parseExample(
        serialized,
        strings(tf, List.of()),
        strings(tf, sparseKeys),
        strings(tf, denseKeys),
        strings(tf, List.of()),
        denseDefaults,
        (long) sparseKeys.size(),
        sparseTypes,
        none,
        noSplits,
        denseShapes);
  }

  private static Operand<TString> strings(Ops tf, List<String> values) {
    if (values.isEmpty()) {
      // The String[] overload rejects empty arrays.
      return tf.constant(org.tensorflow.ndarray.NdArrays.ofObjects(String.class, Shape.of(0)));
    }
    return tf.constant(StandardCharsets.UTF_8, values.toArray(new String[0]));
  }

  private static Operand<?> emptyDefault(Ops tf, DataType type) {
    if (type == DataTypes.LongType) {
      return tf.constant(new long[0]);
    }
    if (type == DataTypes.StringType) {
      return strings(tf, List.of());
    }
    return tf.constant(new float[0]);
  }

  private static Class<? extends TType> tfType(DataType type) {
    if (type == DataTypes.LongType) {
      return TInt64.class;
    }
    if (type == DataTypes.StringType) {
      return TString.class;
    }
    return TFloat32.class;
  }

  private static boolean isArray(DataType type) {
    return type instanceof org.apache.spark.sql.types.ArrayType;
  }

  private static int denseIndexOf(StructType schema, String name) {
    int index = 0;
    for (StructField field : schema.fields()) {
      if (field.name().equals(name)) {
        return index;
      }
      index += field.nullable() ? 0 : 1;
    }
    throw new IllegalArgumentException("Invalid benchmark schema: no column " + name);
  }

  private static ConfigProto singleThreaded() {
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(1)
        .setInterOpParallelismThreads(1)
        .build();
  }
}
