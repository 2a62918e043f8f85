package org.sparktf.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * One contender of the per-core TFRecord read benchmark ({@code bench/read-core.sh}), in its own
 * JVM: reads the same TFRecord files several times after warm-up passes and prints one {@code
 * RESULT} line with wall-clock and process-CPU rates and a checksum of every value read.
 *
 * <p>Arguments: {@code --generate --work DIR --records N} writes the MNIST-like and Criteo-like
 * files once with SparkTF; {@code --contender sparktf-direct|sparktf-row|tf-native --dataset
 * mnist|criteo --work DIR [--warmup N|steady] [--reps N] [--batch N] [--label TEXT]} times one
 * contender.
 *
 * <p>Consumers: SparkTF writes to Spark's {@code noop} sink (every row materialised as an {@code
 * UnsafeRow}, Spark {@code local[1]}); TensorFlow fetches every ParseExample output (dense values,
 * sparse indices, values and shapes) into the Java client each batch, one intra- and inter-op
 * thread. After the timed passes each contender computes {@link ValueChecksum} over every value
 * (untimed); the script checks that the checksums agree.
 */
public final class ReadCoreBenchmark {
  private ReadCoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    Path work = Paths.get(arg(a, "--work", "bench/target/read-core-work"));
    if (a.contains("--generate")) {
      generate(work, Long.parseLong(arg(a, "--records", "100000")));
      return;
    }
    String contender = arg(a, "--contender", null);
    String dataset = arg(a, "--dataset", null);
    if (contender == null || dataset == null) {
      throw new IllegalArgumentException(
          "Invalid arguments: give --generate, or --contender and --dataset; see the Javadoc");
    }
    WarmUp warmup = warmUp(a);
    int reps = Integer.parseInt(arg(a, "--reps", "5"));
    long batch = Long.parseLong(arg(a, "--batch", "512"));
    String label = arg(a, "--label", "");
    BenchData.Kind kind = BenchData.Kind.valueOf(dataset.toUpperCase(Locale.ROOT));
    Path dir = work.resolve(kind.name().toLowerCase(Locale.ROOT));
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("Cannot benchmark: no data in " + dir + "; run --generate");
    }
    Contender c = Contender.of(contender, batch);
    try (c) {
      LongSupplier pass = () -> c.pass(kind.schema(), dir);
      while (warmup.wantsMore()) {
        long cpu0 = cpuNanos();
        ThreadCpu threads0 = ThreadCpu.snapshot();
        pass.getAsLong();
        double passCpu = (cpuNanos() - cpu0) / 1e9;
        double jit = ThreadCpu.snapshot().compilerSeconds(threads0);
        warmup.record(passCpu, jit);
        System.out.printf(
            Locale.ROOT, "WARMUP pass=%d cpu_s=%.3f jit_s=%.2f%n", warmup.passes(), passCpu, jit);
      }
      double[] seconds = new double[reps];
      long passRows = -1;
      long cpuStart = cpuNanos();
      ThreadCpu threadsBefore = ThreadCpu.snapshot();
      System.out.println("TIMED start");
      for (int i = 0; i < reps; i++) {
        long start = System.nanoTime();
        passRows = pass.getAsLong();
        seconds[i] = (System.nanoTime() - start) / 1e9;
      }
      double cpu = (cpuNanos() - cpuStart) / 1e9;
      System.out.println("TIMED end");
      // Where the timed passes' CPU went, by thread kind (reading, planning, JIT, GC).
      ThreadCpu threadsAfter = ThreadCpu.snapshot();
      System.out.println("THREADS cpu_s " + threadsAfter.since(threadsBefore));
      double jitShare = threadsAfter.compilerSeconds(threadsBefore) / cpu;
      long[] check = c.checksum(kind.schema(), dir);
      long rows = check[0];
      long checksum = check[1];
      if (passRows >= 0 && passRows != rows) {
        throw new IllegalStateException(
            "Cannot benchmark: a timed pass read " + passRows + " rows, the checksum pass " + rows);
      }
      Arrays.sort(seconds);
      double median = seconds[reps / 2];
      System.out.printf(
          Locale.ROOT,
          "RESULT label=%s contender=%s dataset=%s cpus=%d rows=%d median_s=%.4f best_s=%.4f"
              + " rows_per_s=%.0f rows_per_cpu_s=%.0f checksum=%d warmup=%d warmup_outcome=%s"
              + " jit_share=%.2f%n",
          label.isEmpty() ? "-" : label,
          contender,
          dataset,
          Runtime.getRuntime().availableProcessors(),
          rows,
          median,
          seconds[0],
          rows / median,
          rows * reps / cpu,
          checksum,
          warmup.passes(),
          warmup.outcome(),
          jitShare);
    }
  }

  /**
   * {@code --warmup N} (fixed), or {@code --warmup steady [--steady-jit-share S] [--steady-passes
   * K] [--warmup-max M]}: see {@link WarmUp}.
   */
  private static WarmUp warmUp(List<String> a) {
    String warmup = arg(a, "--warmup", "3");
    if (!warmup.equals("steady")) {
      return WarmUp.fixed(Integer.parseInt(warmup));
    }
    return WarmUp.steady(
        Double.parseDouble(arg(a, "--steady-jit-share", "0.05")),
        Integer.parseInt(arg(a, "--steady-passes", "3")),
        Integer.parseInt(arg(a, "--warmup-max", "40")));
  }

  /** CPU time of every thread of this process (JIT and GC included). */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static String arg(List<String> args, String name, String fallback) {
    int i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : fallback;
  }

  private static SparkSession spark(int cores) {
    SparkSession spark =
        SparkSession.builder()
            .appName("ReadCoreBenchmark")
            .master("local[" + cores + "]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", String.valueOf(cores))
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  /** Writes each dataset once, as SparkTF writes it; both contenders read these bytes. */
  private static void generate(Path work, long records) {
    SparkSession spark = spark(2);
    try {
      for (BenchData.Kind kind : BenchData.Kind.values()) {
        Path dir = work.resolve(kind.name().toLowerCase(Locale.ROOT));
        BenchData.generate(spark, kind, records, 2, 42)
            .write()
            .mode("overwrite")
            .format("tfrecord")
            .save(dir.toString());
        System.out.println("Wrote " + records + " " + kind + " records to " + dir);
      }
    } finally {
      spark.stop();
    }
  }

  /** A reader under test. */
  private interface Contender extends AutoCloseable {
    /** Reads every value of the files once; returns the rows read, or -1 if not counted. */
    long pass(StructType schema, Path dir);

    /** Reads the files again, untimed; returns {rows, checksum of every value}. */
    long[] checksum(StructType schema, Path dir);

    @Override
    void close();

    static Contender of(String name, long batch) {
      return switch (name) {
        case "sparktf-direct" -> new SparkTF(true);
        case "sparktf-row" -> new SparkTF(false);
        case "tf-native" -> new TfNative(batch);
        default -> throw new IllegalArgumentException(
            "Invalid contender: " + name + "; use sparktf-direct, sparktf-row or tf-native");
      };
    }
  }

  /** SparkTF's source in Spark local[1] into the noop sink. */
  private static final class SparkTF implements Contender {
    private final SparkSession spark = spark(1);
    private final boolean direct;

    SparkTF(boolean direct) {
      this.direct = direct;
    }

    private org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> read(
        StructType schema, Path dir) {
      return spark
          .read()
          .format("tfrecord")
          .schema(schema)
          .option("directRows", String.valueOf(direct))
          .load(dir.toString());
    }

    /** The sink does not count; the checksum pass gives the rows of the same files. */
    @Override
    public long pass(StructType schema, Path dir) {
      read(schema, dir).write().format("noop").mode("overwrite").save();
      return -1;
    }

    @Override
    public long[] checksum(StructType schema, Path dir) {
      return read(schema, dir)
          .javaRDD()
          .map(row -> new long[] {1, ValueChecksum.ofRow(row)})
          .reduce((x, y) -> new long[] {x[0] + y[0], x[1] + y[1]});
    }

    @Override
    public void close() {
      spark.stop();
    }
  }

  /** TensorFlow's C++ reader and ParseExample, every output fetched. */
  private static final class TfNative implements Contender {
    private final long batch;

    TfNative(long batch) {
      this.batch = batch;
    }

    @Override
    public long pass(StructType schema, Path dir) {
      return TfNativeReader.readAll(files(dir), schema, batch, false).rows();
    }

    @Override
    public long[] checksum(StructType schema, Path dir) {
      TfNativeReader.FullOutcome outcome = TfNativeReader.readAll(files(dir), schema, batch, true);
      return new long[] {outcome.rows(), outcome.checksum()};
    }

    @Override
    public void close() {}

    private static List<String> files(Path dir) {
      List<String> files = new ArrayList<>();
      TFRecordBenchmark.dataFiles(dir).forEach(p -> files.add(p.toString()));
      return files;
    }
  }
}
