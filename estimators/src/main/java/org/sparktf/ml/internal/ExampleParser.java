package org.sparktf.ml.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Parses serialized tf.train.Example records into the training inputs, in a small graph of its own
 * (tf.io.parseExample): features as float32, the label as int64 for classes or float32. Features
 * are dense and required, with the widths the driver measured.
 */
final class ExampleParser implements AutoCloseable {
  private final Graph graph = new Graph();
  private final Session session;
  private final Placeholder<TString> serialized;
  private final List<Operand<?>> outputs = new ArrayList<>();
  private final Map<String, Integer> index = new HashMap<>();

  ExampleParser(NodeConfig config) {
    try {
      Ops tf = Ops.create(graph);
      serialized = tf.placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
      List<String> keys = new ArrayList<>(config.inputMapping().keySet());
      if (!keys.contains(config.labelCol())) {
        keys.add(config.labelCol());
      }
      List<Operand<?>> defaults = new ArrayList<>();
      List<Shape> shapes = new ArrayList<>();
      for (String key : keys) {
        boolean integral = config.integralColumns().contains(key);
        // An empty default makes the feature required: a record without it is an error.
        defaults.add(integral ? tf.constant(new long[0]) : tf.constant(new float[0]));
        int width = config.columnWidths().getOrDefault(key, 1);
        shapes.add(
            key.equals(config.labelCol()) || width == 1 && !isArray(config, key)
                ? Shape.scalar()
                : Shape.of(width));
      }
      ParseExample parsed =
          tf.io.parseExample(
              serialized,
              strings(tf),
              strings(tf),
              strings(tf, keys.toArray(new String[0])),
              strings(tf),
              defaults,
              0L,
              List.of(),
              List.of(),
              List.of(),
              shapes);
      for (int i = 0; i < keys.size(); i++) {
        Operand<?> value = parsed.denseValues().get(i);
        boolean classes = keys.get(i).equals(config.labelCol()) && config.classLabel();
        outputs.add(
            classes ? tf.dtypes.cast(value, TInt64.class) : tf.dtypes.cast(value, TFloat32.class));
        index.put(keys.get(i), i);
      }
      session = new Session(graph);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  private static Operand<TString> strings(Ops tf, String... values) {
    return tf.constant(Shape.of(values.length), DataBuffers.ofObjects(values));
  }

  private static boolean isArray(NodeConfig config, String column) {
    String input = config.inputMapping().get(column);
    return input != null && config.inputRanks().get(input) == 2;
  }

  /** The parsed batch; the caller closes it. */
  Result parse(TString records) {
    Session.Runner runner = session.runner().feed(serialized, records);
    outputs.forEach(runner::fetch);
    return runner.run();
  }

  /** One column of a parsed batch (owned by the result). */
  Tensor column(Result parsed, String column) {
    return parsed.get(index.get(column));
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
