package org.sparktf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparktf.ml.TFModel;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Batch inference speed: {@code TFModel.transform} over a cached DataFrame vs a plain TF Java loop
 * over the same SavedModel and the same rows held in Java arrays, in one JVM with one task thread
 * (Spark local[1]), at batch sizes 1, 64 and 1024.
 *
 * <p>Usage: TFModelBenchmark --work DIR --docs docs/benchmarks.md [--rows 100000] [--reps 3]
 */
public final class TFModelBenchmark {

  public static void main(String[] args) throws Exception {
    Path work = Path.of(arg(args, "--work", "target/bench-work")).toAbsolutePath();
    Path docs = Path.of(arg(args, "--docs", "docs/benchmarks.md"));
    int rows = Integer.parseInt(arg(args, "--rows", "100000"));
    int reps = Integer.parseInt(arg(args, "--reps", "3"));
    int[] batches =
        java.util.Arrays.stream(arg(args, "--batches", "1,64,1024").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    Files.createDirectories(work);
    String export = exportModel(work.resolve("softmax-savedmodel-" + System.nanoTime()));
    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("TFModelBenchmark")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    StringBuilder table =
        new StringBuilder(
            "| batch | rows | Spark scan alone rows/s | TFModel rows/s | plain loop rows/s | TFModel / loop"
                + " | TFModel CPU µs/row | loop CPU µs/row |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    try {
      for (int batch : batches) {
        int n = batch == 1 ? Math.min(rows, 20_000) : rows;
        Dataset<Row> images = images(spark, n).cache();
        images.count();
        float[][] arrays = new float[n][];
        for (int id = 0; id < n; id++) {
          arrays[id] = image(id);
        }
        TFModel model =
            new TFModel()
                .setExportDir(export)
                .setInputMapping(Map.of("image", "image"))
                .setOutputMapping(Map.of("probabilities", "probabilities"))
                .setBatchSize(batch);
        List<Double> transform = new ArrayList<>();
        List<Double> loop = new ArrayList<>();
        List<Double> scan = new ArrayList<>();
        List<Double> transformCpu = new ArrayList<>();
        List<Double> loopCpu = new ArrayList<>();
        // One untimed run of each first: JIT compilation and first-use costs are not scoring.
        timeScan(images, n);
        timeTransform(model, images, n);
        timeLoop(export, arrays, batch, new ArrayList<>());
        for (int rep = 0; rep < reps; rep++) {
          scan.add(timeScan(images, n));
          long cpu = cpuNanos();
          transform.add(timeTransform(model, images, n));
          transformCpu.add((cpuNanos() - cpu) / 1e3 / n);
          loop.add(timeLoop(export, arrays, batch, loopCpu));
          System.out.printf(
              Locale.ROOT,
              "batch %d rep %d: TFModel %.0f rows/s, loop %.0f rows/s%n",
              batch,
              rep,
              transform.get(rep),
              loop.get(rep));
        }
        double t = median(transform);
        double l = median(loop);
        table.append(
            String.format(
                Locale.ROOT,
                "| %d | %d | %.0f | %.0f | %.0f | **%.2f×** | %.2f | %.2f |%n",
                batch,
                n,
                median(scan),
                t,
                l,
                t / l,
                median(transformCpu),
                median(loopCpu)));
        images.unpersist();
      }
    } finally {
      spark.stop();
    }
    String command =
        "mvn -B -q -DskipTests install && mvn -B -q -pl bench exec:exec -Dbench.main=org.sparktf.bench.TFModelBenchmark -Dbench.args=\"--rows "
            + rows
            + " --reps "
            + reps
            + "\"";
    String section =
        START
            + "\n## Batch inference: TFModel.transform vs a plain TF Java loop\n\n"
            + "Machine: "
            + MachineInfo.describe()
            + ". Command:\n\n```\n"
            + command
            + "\n```\n\nSoftmax regression (784 -> 10) exported as a SavedModel. TFModel scores a cached"
            + " DataFrame of 784-float images with Spark local[1] (one task thread); the loop feeds the same"
            + " rows from Java arrays to the same SavedModel's `serving_default` function in the same JVM."
            + " \"Spark scan alone\" reads the cached rows into the same noop sink without scoring them."
            + " Medians of "
            + reps
            + " alternating repetitions after one untimed warm-up run of each; target at 1024: >= 0.85×. The CPU columns are the"
            + " process's CPU time (all threads, TensorFlow's included) per row: they show the work"
            + " each side does when a busy machine makes wall-clock rates noisy.\n\n"
            + table
            + END;
    String existing = Files.exists(docs) ? Files.readString(docs) : "# Benchmarks\n";
    int from = existing.indexOf(START);
    int to = existing.indexOf(END);
    String updated =
        from >= 0 && to > from
            ? existing.substring(0, from) + section + existing.substring(to + END.length())
            : existing.stripTrailing() + "\n\n" + section + "\n";
    Files.writeString(docs, updated);
    System.out.println(section);
  }

  private static final String START = "<!-- tfmodel-benchmark:start -->";
  private static final String END = "<!-- tfmodel-benchmark:end -->";

  /** Reading the cached rows and nothing else: the floor under any Spark-side scoring. */
  private static double timeScan(Dataset<Row> images, int n) {
    long start = System.nanoTime();
    images.write().format("noop").mode("overwrite").save();
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static double timeTransform(TFModel model, Dataset<Row> images, int n) {
    // Spark's "noop" sink runs the whole plan on internal rows, as a real write would, and drops
    // the result: it measures scoring, not a conversion to Java objects.
    long start = System.nanoTime();
    model.transform(images).write().format("noop").mode("overwrite").save();
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static double timeLoop(String export, float[][] rows, int batch, List<Double> cpu) {
    try (SavedModelBundle model = SavedModelBundle.load(export, "serve")) {
      long cpuStart = cpuNanos();
      long start = System.nanoTime();
      float checksum = 0;
      for (int from = 0; from < rows.length; from += batch) {
        int size = Math.min(batch, rows.length - from);
        float[] flat = new float[size * 784];
        for (int r = 0; r < size; r++) {
          System.arraycopy(rows[from + r], 0, flat, r * 784, 784);
        }
        try (TFloat32 x =
                TFloat32.tensorOf(Shape.of(size, 784), DataBuffers.of(flat, true, false));
            Result result = model.function("serving_default").call(Map.of("image", x))) {
          TFloat32 p = (TFloat32) result.get("probabilities").orElseThrow();
          float[] out = new float[size * 10];
          p.copyTo(DataBuffers.of(out, false, false));
          checksum += out[0];
        }
      }
      if (Float.isNaN(checksum)) {
        throw new IllegalStateException("NaN probabilities");
      }
      double rate = rows.length / ((System.nanoTime() - start) / 1e9);
      cpu.add((cpuNanos() - cpuStart) / 1e3 / rows.length);
      return rate;
    }
  }

  /** CPU time of the whole process (every thread, TensorFlow's native ones included). */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static String exportModel(Path dir) throws IOException {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> image =
          tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 784)));
      float[] weights = new float[784 * 10];
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (i % 13) / 100f;
      }
      var w = tf.variable(tf.constant(Shape.of(784, 10), DataBuffers.of(weights, true, false)));
      var b = tf.variable(tf.zeros(tf.constant(new int[] {10}), TFloat32.class));
      var probabilities = tf.nn.softmax(tf.math.add(tf.linalg.matMul(image, w), b));
      try (Session session = new Session(graph)) {
        session.initialize();
        SavedModelBundle.exporter(dir.toString())
            .withSession(session)
            .withSignature(
                Signature.builder()
                    .key("serving_default")
                    .input("image", image)
                    .output("probabilities", probabilities)
                    .build())
            .export();
      }
    }
    return dir.toString();
  }

  /**
   * Pixel values of image {@code id}: a cheap deterministic hash, the same in Spark and the loop.
   */
  static float[] image(long id) {
    float[] pixels = new float[784];
    long state = id * 0x9E3779B97F4A7C15L + 1;
    for (int i = 0; i < pixels.length; i++) {
      state ^= state << 13;
      state ^= state >>> 7;
      state ^= state << 17;
      pixels[i] = (state & 0xFF) / 255f;
    }
    return pixels;
  }

  /** {@code n} images as a DataFrame with one array&lt;float&gt; column, built in 8 partitions. */
  private static Dataset<Row> images(SparkSession spark, int n) {
    int parts = 8;
    List<Integer> indices = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      indices.add(p);
    }
    JavaRDD<InternalRow> rows =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(indices, parts)
            .flatMap(
                p -> {
                  long from = (long) n * p / parts;
                  long to = (long) n * (p + 1) / parts;
                  List<InternalRow> part = new ArrayList<>();
                  for (long id = from; id < to; id++) {
                    part.add(
                        new GenericInternalRow(
                            new Object[] {UnsafeArrayData.fromPrimitiveArray(image(id))}));
                  }
                  return part.iterator();
                });
    StructType schema =
        new StructType().add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    return spark.internalCreateDataFrame(rows.rdd(), schema, false);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
