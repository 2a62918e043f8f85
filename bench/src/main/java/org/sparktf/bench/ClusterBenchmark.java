package org.sparktf.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.DataFeed;
import org.sparktf.core.FeedBatch;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.TFCluster;
import org.sparktf.core.TFRecordBatches;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The cluster runtime's two speed questions, side by side in one run:
 *
 * <ol>
 *   <li>Training examples/s of one worker fed by Spark (InputMode.SPARK, rows from a cached
 *       DataFrame) vs the same worker reading the same rows as TFRecords itself
 *       (InputMode.TENSORFLOW).
 *   <li>Steps/s of a 1 PS + 1 worker cluster vs the same graph in a plain local Session.
 * </ol>
 *
 * Usage: ClusterBenchmark --work DIR --docs docs/benchmarks.md [--rows 60000] [--reps 3] [--steps
 * 500]
 */
public final class ClusterBenchmark {
  private static final int BATCH = 100;

  public static void main(String[] args) throws Exception {
    Path work = Path.of(arg(args, "--work", "target/bench-work")).toAbsolutePath();
    Path docs = Path.of(arg(args, "--docs", "docs/benchmarks.md"));
    int rows = Integer.parseInt(arg(args, "--rows", "60000"));
    int reps = Integer.parseInt(arg(args, "--reps", "3"));
    int steps = Integer.parseInt(arg(args, "--steps", "500"));
    Files.createDirectories(work);
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("ClusterBenchmark")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      Dataset<Row> images =
          spark
              .range(0, rows, 1, 4)
              .selectExpr(
                  "transform(sequence(1, 784), i -> CAST(pmod(hash(id, i), 256) / 255.0 AS FLOAT)) AS image",
                  "id % 10 AS label")
              .cache();
      images.count();
      String records = work.resolve("records-" + rows).toUri().toString();
      if (!Files.exists(work.resolve("records-" + rows))) {
        images.write().format("tfrecord").save(records);
      }
      List<Double> sparkMode = new ArrayList<>();
      List<Double> tfMode = new ArrayList<>();
      for (int rep = 0; rep < reps; rep++) {
        sparkMode.add(trainingRate(spark, InputMode.SPARK, images, records, work));
        tfMode.add(trainingRate(spark, InputMode.TENSORFLOW, images, records, work));
        System.out.printf(
            Locale.ROOT,
            "rep %d: SPARK %.0f ex/s, TENSORFLOW %.0f ex/s%n",
            rep,
            sparkMode.get(rep),
            tfMode.get(rep));
      }
      List<Double> local = new ArrayList<>();
      List<Double> cluster = new ArrayList<>();
      for (int rep = 0; rep < reps; rep++) {
        local.add(localStepRate(steps));
        cluster.add(clusterStepRate(spark, steps, work));
        System.out.printf(
            Locale.ROOT,
            "rep %d: local %.0f steps/s, 1 PS + 1 worker %.0f steps/s%n",
            rep,
            local.get(rep),
            cluster.get(rep));
      }
      String command =
          "mvn -B -q -DskipTests install && mvn -B -q -pl bench exec:exec"
              + " -Dbench.main=org.sparktf.bench.ClusterBenchmark -Dbench.args=\"--rows "
              + rows
              + " --reps "
              + reps
              + " --steps "
              + steps
              + "\"";
      writeReport(docs, command, rows, steps, reps, sparkMode, tfMode, local, cluster);
    } finally {
      spark.stop();
    }
  }

  private static double trainingRate(
      SparkSession spark, InputMode mode, Dataset<Row> images, String records, Path work)
      throws IOException {
    Path out = Files.createTempDirectory(work, "run-");
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(1)
            .inputMode(mode)
            .modelDir(out.toUri().toString())
            .reservationTimeout(Duration.ofMinutes(2))
            .nodeJavaOptions("-Xmx1g")
            .run(new TrainOneEpoch(records))) {
      if (mode == InputMode.SPARK) {
        cluster.train(images, 1);
      }
      cluster.shutdown();
    }
    return Double.parseDouble(Files.readString(out.resolve("rate.txt")).trim());
  }

  private static double clusterStepRate(SparkSession spark, int steps, Path work)
      throws IOException {
    Path out = Files.createTempDirectory(work, "run-");
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(2)
            .numPs(1)
            .inputMode(InputMode.TENSORFLOW)
            .modelDir(out.toUri().toString())
            .reservationTimeout(Duration.ofMinutes(2))
            .nodeJavaOptions("-Xmx1g")
            .run(new FixedSteps(steps))) {
      cluster.shutdown();
    }
    return Double.parseDouble(Files.readString(out.resolve("rate.txt")).trim());
  }

  private static double localStepRate(int steps) {
    try (Graph graph = new Graph()) {
      SoftmaxModel model = SoftmaxModel.build(graph, null, null);
      try (Session session = new Session(graph)) {
        session.initialize();
        return FixedSteps.timeSteps(session, model, steps);
      }
    }
  }

  /** One epoch of the data, in either input mode; writes examples/s to rate.txt. */
  static final class TrainOneEpoch implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final String records;

    TrainOneEpoch(String records) {
      this.records = records;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      try (Graph graph = new Graph()) {
        SoftmaxModel model = SoftmaxModel.build(graph, null, null);
        Ops tf = Ops.create(graph);
        Placeholder<TString> serialized = tf.placeholder(TString.class);
        ParseExample parsed =
            tf.io.parseExample(
                serialized,
                tf.zeros(tf.constant(new int[] {0}), TString.class),
                tf.zeros(tf.constant(new int[] {0}), TString.class),
                tf.constant(NdArrays.vectorOfObjects("image", "label")),
                tf.zeros(tf.constant(new int[] {0}), TString.class),
                List.of(tf.constant(new float[0]), tf.constant(new long[0])),
                0L,
                List.of(),
                List.of(),
                List.of(),
                List.of(Shape.of(SoftmaxModel.PIXELS), Shape.scalar()));
        try (Session session = new Session(graph)) {
          session.initialize();
          long examples = 0;
          long start = 0;
          if (ctx.inputMode() == InputMode.SPARK) {
            DataFeed feed = ctx.dataFeed();
            while (true) {
              FeedBatch batch = feed.nextBatch(BATCH);
              if (batch.rows() == 0) {
                break;
              }
              if (start == 0) {
                start = System.nanoTime();
              }
              try (TFloat32 x = batch.float32("image");
                  TInt64 y = batch.int64("label")) {
                session
                    .runner()
                    .feed(model.images, x)
                    .feed(model.labels, y)
                    .addTarget(model.train)
                    .run();
              }
              examples += batch.rows();
            }
          } else {
            try (TFRecordBatches batches =
                TFRecordBatches.open(ctx, TFRecordBatches.shard(ctx, records))) {
              while (true) {
                try (TString batch = batches.next(BATCH)) {
                  long n = batch.shape().size(0);
                  if (n == 0) {
                    break;
                  }
                  if (start == 0) {
                    start = System.nanoTime();
                  }
                  try (var features =
                      session
                          .runner()
                          .feed(serialized, batch)
                          .fetch(parsed.denseValues().get(0))
                          .fetch(parsed.denseValues().get(1))
                          .run()) {
                    session
                        .runner()
                        .feed(model.images, features.get(0))
                        .feed(model.labels, features.get(1))
                        .addTarget(model.train)
                        .run();
                  }
                  examples += n;
                }
              }
            }
          }
          double rate = examples / ((System.nanoTime() - start) / 1e9);
          Files.writeString(
              Path.of(URI.create(ctx.modelDir())).resolve("rate.txt"), Double.toString(rate));
        }
      }
    }
  }

  /** {@code steps} training steps on one fixed batch; the chief writes steps/s to rate.txt. */
  static final class FixedSteps implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final int steps;

    FixedSteps(int steps) {
      this.steps = steps;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      if (!ctx.isChief()) {
        return;
      }
      try (Graph graph = new Graph()) {
        SoftmaxModel model = SoftmaxModel.build(graph, ctx.variableDevice(0), ctx.localDevice());
        try (Session session = ctx.session(graph)) {
          session.initialize();
          double rate = timeSteps(session, model, steps);
          Files.writeString(
              Path.of(URI.create(ctx.modelDir())).resolve("rate.txt"), Double.toString(rate));
        }
      }
    }

    static double timeSteps(Session session, SoftmaxModel model, int steps) {
      Random random = new Random(7);
      float[] pixels = new float[BATCH * SoftmaxModel.PIXELS];
      long[] labels = new long[BATCH];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = random.nextFloat();
      }
      for (int i = 0; i < labels.length; i++) {
        labels[i] = random.nextInt(SoftmaxModel.CLASSES);
      }
      try (TFloat32 x =
              TFloat32.tensorOf(
                  Shape.of(BATCH, SoftmaxModel.PIXELS),
                  org.tensorflow.ndarray.buffer.DataBuffers.of(pixels, true, false));
          TInt64 y = TInt64.vectorOf(labels)) {
        for (int i = 0; i < 20; i++) {
          session.runner().feed(model.images, x).feed(model.labels, y).addTarget(model.train).run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          session.runner().feed(model.images, x).feed(model.labels, y).addTarget(model.train).run();
        }
        return steps / ((System.nanoTime() - start) / 1e9);
      }
    }
  }

  private static void writeReport(
      Path docs,
      String command,
      int rows,
      int steps,
      int reps,
      List<Double> sparkMode,
      List<Double> tfMode,
      List<Double> local,
      List<Double> cluster)
      throws IOException {
    double spark = median(sparkMode);
    double tf = median(tfMode);
    double loc = median(local);
    double ps = median(cluster);
    String section =
        String.format(
            Locale.ROOT,
            "%s%n## Cluster runtime: feeding and parameter-server overhead%n%n"
                + "Machine: %s. Command:%n%n```%n%s%n```%n%n"
                + "Medians of %d alternating repetitions, all in one run (Spark local[2]).%n%n"
                + "**Input modes.** One worker trains softmax regression (784 -> 10, batch %d) for one epoch of %d"
                + " synthetic 784-float images. SPARK: rows of a cached DataFrame fed by SparkTF's columnar feed;"
                + " TENSORFLOW: the same rows as TFRecords, read by TensorFlow's native reader and parsed with"
                + " `tf.io.parseExample` in the worker.%n%n"
                + "| Mode | examples/s | runs |%n|---|---:|---|%n"
                + "| SPARK | %.0f | %s |%n| TENSORFLOW | %.0f | %s |%n| **SPARK / TENSORFLOW** | **%.2f×** | target >= 0.9× |%n%n"
                + "**Parameter server.** The same model for %d steps on one fixed batch: variables on a PS over gRPC"
                + " (1 PS + 1 worker, separate processes) vs a plain local Session in the benchmark JVM.%n%n"
                + "| Setup | steps/s | runs |%n|---|---:|---|%n"
                + "| local Session | %.0f | %s |%n| 1 PS + 1 worker | %.0f | %s |%n| **cluster / local** | **%.2f×** | |%n"
                + "%s%n",
            START,
            MachineInfo.describe(),
            command,
            reps,
            BATCH,
            rows,
            spark,
            format(sparkMode),
            tf,
            format(tfMode),
            spark / tf,
            steps,
            loc,
            format(local),
            ps,
            format(cluster),
            ps / loc,
            END);
    replaceSection(docs, START, END, section);
    System.out.println(section);
  }

  /**
   * Replaces the section of {@code docs} from {@code start} to {@code end} (markers included) by
   * {@code section}, which holds both markers; appends it when the file has none.
   */
  static void replaceSection(Path docs, String start, String end, String section)
      throws IOException {
    String existing = Files.exists(docs) ? Files.readString(docs) : "# Benchmarks\n";
    int from = existing.indexOf(start);
    int to = existing.indexOf(end);
    String updated =
        from >= 0 && to > from
            ? existing.substring(0, from) + section.strip() + existing.substring(to + end.length())
            : existing.stripTrailing() + "\n\n" + section.strip() + "\n";
    Files.writeString(docs, updated);
  }

  private static final String START = "<!-- cluster-benchmark:start -->";
  private static final String END = "<!-- cluster-benchmark:end -->";

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static String format(List<Double> values) {
    List<String> parts = new ArrayList<>();
    for (double v : values) {
      parts.add(String.format(Locale.ROOT, "%.0f", v));
    }
    return String.join(", ", parts);
  }

  /** The value after {@code name} in {@code args}, or {@code fallback}. */
  static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
