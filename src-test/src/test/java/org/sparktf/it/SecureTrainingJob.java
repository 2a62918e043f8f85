package org.sparktf.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.BatchSource;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.TFCluster;
import org.sparktf.core.TFRecordBatches;
import org.sparktf.core.TrainingLoop;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The job of the Kerberos tests, run by spark-submit: one TensorFlow worker (TENSORFLOW mode) fits
 * y = w·x + b on TFRecords of "x,y" text read from HDFS, for a given time, checkpointing to HDFS
 * every 5 seconds, then writes its final loss and exports a SavedModel to HDFS.
 *
 * <p>Usage: {@code SecureTrainingJob <recordsDir> <workDir> <trainSeconds>}; writes {@code
 * <workDir>/model}, {@code <workDir>/loss} (the mean squared error on y = 2x + 1 at x = -2..2, as
 * text) and {@code <workDir>/export}.
 */
public final class SecureTrainingJob {
  /** The application's name on YARN. */
  static final String NAME = "SparkTF secure";

  private SecureTrainingJob() {}

  public static void main(String[] args) {
    if (args.length != 3) {
      throw new IllegalArgumentException(
          "Invalid arguments: "
              + String.join(" ", args)
              + "; usage: SecureTrainingJob <recordsDir> <workDir> <trainSeconds>");
    }
    Duration train = Duration.ofSeconds(Long.parseLong(args[2]));
    SparkSession spark = SparkSession.builder().appName(NAME).getOrCreate();
    try {
      TFCluster cluster =
          TFCluster.builder(spark)
              .numExecutors(1)
              .inputMode(InputMode.TENSORFLOW)
              .modelDir(args[1] + "/model")
              .reservationTimeout(Duration.ofMinutes(2))
              .shutdownTimeout(train.plusMinutes(3))
              .nodeJavaOptions("-Xmx256m")
              .run(new Node(args[0], args[1], train));
      cluster.shutdown();
      System.out.println("SparkTF secure: trained and exported");
    } finally {
      spark.stop();
    }
  }

  /** The worker: linear regression from the records, for the given time. */
  static final class Node implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final String records;
    private final String workDir;
    private final Duration train;

    Node(String records, String workDir, Duration train) {
      this.records = records;
      this.workDir = workDir;
      this.train = train;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      List<String> files = TFRecordBatches.shard(ctx, records);
      try (Graph graph = new Graph()) {
        Ops tf = Ops.create(graph);
        Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
        Variable<TFloat32> b = tf.withName("b").variable(tf.constant(0f));
        Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
        Placeholder<TFloat32> y = tf.placeholder(TFloat32.class);
        Operand<TFloat32> loss =
            tf.math.mean(
                tf.math.square(tf.math.sub(tf.math.add(tf.math.mul(x, w), b), y)), tf.constant(0));
        ReplicatedTraining training =
            ReplicatedTraining.asynchronous(ctx, graph, new GradientDescent(graph, 0.1f), loss);
        TrainingLoop.builder(ctx, training)
            // As many passes over the records as fit into the training time.
            .data(
                Integer.MAX_VALUE,
                epoch -> {
                  TFRecordBatches reader = TFRecordBatches.open(ctx, files);
                  return BatchSource.records(
                      reader::next, 20, batch -> toBatch(batch, x, y), reader::close);
                })
            .maxTime(train)
            .checkpoints(0, 5, 100)
            .onFinish(
                (session, step) -> {
                  if (ctx.isChief()) {
                    writeLoss(ctx, session, loss, x, y);
                  }
                })
            .exportSavedModel(workDir + "/export", Node::serving)
            .build()
            .run(graph);
      }
    }

    /** The loss on y = 2x + 1 at x = -2..2, written to HDFS as text with this node's tokens. */
    private void writeLoss(
        NodeContext ctx,
        Session session,
        Operand<TFloat32> loss,
        Placeholder<TFloat32> x,
        Placeholder<TFloat32> y)
        throws IOException {
      float value;
      try (TFloat32 xs = TFloat32.vectorOf(-2, -1, 0, 1, 2);
          TFloat32 ys = TFloat32.vectorOf(-3, -1, 1, 3, 5);
          Result result = session.runner().feed(x, xs).feed(y, ys).fetch(loss).run()) {
        value = ((TFloat32) result.get(0)).getFloat();
      }
      org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(workDir + "/loss");
      try (FileSystem fs = FileSystem.newInstance(file.toUri(), ctx.hadoopConf());
          OutputStream out = fs.create(file)) {
        out.write(Float.toString(value).getBytes(StandardCharsets.UTF_8));
      }
    }

    private static BatchSource.Batch toBatch(
        TString records, Placeholder<TFloat32> x, Placeholder<TFloat32> y) {
      int n = (int) records.shape().size(0);
      float[] xs = new float[n];
      float[] ys = new float[n];
      for (int i = 0; i < n; i++) {
        String[] xy = new String(records.asBytes().getObject(i), StandardCharsets.UTF_8).split(",");
        xs[i] = Float.parseFloat(xy[0]);
        ys[i] = Float.parseFloat(xy[1]);
      }
      return BatchSource.Batch.of(
          Map.<Operand<?>, Tensor>of(x, TFloat32.vectorOf(xs), y, TFloat32.vectorOf(ys)));
    }

    private static Signature serving(Ops tf) {
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
      Variable<TFloat32> b = tf.withName("b").variable(tf.constant(0f));
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
      return Signature.builder()
          .key("serving_default")
          .input("x", x)
          .output("y", tf.math.add(tf.math.mul(x, w), b))
          .build();
    }
  }
}
