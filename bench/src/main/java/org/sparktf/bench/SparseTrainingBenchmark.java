package org.sparktf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.SparseLookup;
import org.sparktf.core.SparseOptimizer;
import org.sparktf.core.TFCluster;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Criteo-shaped logistic regression (39 hashed ids per example, one weight per hash bucket on the
 * parameter server, AdaGrad) on 1 PS + 2 workers, with dense updates (the gradient of the whole
 * weight vector every step) and sparse ones ({@link SparseLookup}), at several hash-bucket counts,
 * all in one run. Per run: global steps/s over the timed steps, bytes between the workers and the
 * PS per step (the PS process's TCP traffic, {@link #traffic}), and the log loss of the final model
 * on held-out examples.
 *
 * <p>Usage: SparseTrainingBenchmark --docs docs/benchmarks.md [--buckets 18,20,22] [--steps 100]
 * [--batch 512]
 */
public final class SparseTrainingBenchmark {
  private static final String START = "<!-- sparse-training-benchmark:start -->";
  private static final String END = "<!-- sparse-training-benchmark:end -->";
  static final int FIELDS = 39;
  private static final int WARM_UP = 10;
  // Batches made before the timing, cycled: 160 KB of ids each.
  private static final int MAX_BATCHES = 256;

  private SparseTrainingBenchmark() {}

  /** One run's numbers. */
  record Run(
      int log2Buckets,
      boolean sparse,
      double stepsPerSecond,
      double bytesPerStep,
      double logLoss,
      double psCpuMs,
      double workersCpuMs) {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(ClusterBenchmark.arg(args, "--work", "target/bench-work")).toAbsolutePath();
    Path docs = Path.of(ClusterBenchmark.arg(args, "--docs", "docs/benchmarks.md"));
    int steps = Integer.parseInt(ClusterBenchmark.arg(args, "--steps", "100"));
    int batch = Integer.parseInt(ClusterBenchmark.arg(args, "--batch", "512"));
    List<Integer> sizes = new ArrayList<>();
    for (String s : ClusterBenchmark.arg(args, "--buckets", "18,20,22").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    Files.createDirectories(work);
    SparkSession spark =
        SparkSession.builder()
            .master("local[3]")
            .appName("SparseTrainingBenchmark")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    List<Run> runs = new ArrayList<>();
    try {
      for (int log2 : sizes) {
        for (boolean sparse : new boolean[] {false, true}) {
          Run run = train(spark, work, log2, sparse, steps, batch);
          System.out.printf(
              Locale.ROOT,
              "2^%d %s: %.1f steps/s, %.0f bytes/step, log loss %.5f, CPU ms/step PS %.2f"
                  + " workers %.2f%n",
              log2,
              sparse ? "sparse" : "dense",
              run.stepsPerSecond(),
              run.bytesPerStep(),
              run.logLoss(),
              run.psCpuMs(),
              run.workersCpuMs());
          runs.add(run);
        }
      }
    } finally {
      spark.stop();
    }
    String command =
        "bench/sparse.sh --buckets "
            + String.join(",", sizes.stream().map(String::valueOf).toList())
            + " --steps "
            + steps
            + " --batch "
            + batch;
    writeReport(docs, command, steps, batch, runs);
  }

  private static Run train(
      SparkSession spark, Path work, int log2, boolean sparse, int steps, int batch)
      throws IOException {
    Path out = Files.createTempDirectory(work, "sparse-run-");
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(3)
            .numPs(1)
            .inputMode(InputMode.TENSORFLOW)
            .modelDir(out.toUri().toString())
            .reservationTimeout(Duration.ofMinutes(5))
            .nodeJavaOptions("-Xmx1g")
            .run(new Node(1L << log2, sparse, steps, batch))) {
      cluster.shutdown();
    }
    double seconds = 0;
    long totalSteps = 0;
    double bytesPerStep = 0;
    double psCpuMs = 0;
    long workersCpu = 0;
    for (int w = 0; w < 2; w++) {
      String[] r = Files.readString(out.resolve("worker-" + w + ".txt")).trim().split(" ");
      totalSteps += Long.parseLong(r[0]);
      seconds = Math.max(seconds, Double.parseDouble(r[1]));
      // Each step of a worker is one global step.
      workersCpu += Long.parseLong(r[4]);
      if (w == 0) {
        bytesPerStep = Double.parseDouble(r[2]) / Long.parseLong(r[3]);
        psCpuMs = Long.parseLong(r[5]) / 1e6 / Long.parseLong(r[3]);
      }
    }
    double loss = Double.parseDouble(Files.readString(out.resolve("loss.txt")).trim());
    return new Run(
        log2,
        sparse,
        totalSteps / seconds,
        bytesPerStep,
        loss,
        psCpuMs,
        workersCpu / 1e6 / totalSteps);
  }

  /** Each worker: 10 warm-up steps, then {@code steps} timed ones; the chief then evaluates. */
  static final class Node implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final long buckets;
    private final boolean sparse;
    private final int steps;
    private final int batch;

    Node(long buckets, boolean sparse, int steps, int batch) {
      this.buckets = buckets;
      this.sparse = sparse;
      this.steps = steps;
      this.batch = batch;
    }

    @Override
    public void run(NodeContext ctx) throws Exception {
      if (!ctx.jobName().equals("worker")) {
        return;
      }
      try (Graph graph = new Graph()) {
        Ops tf = Ops.create(graph);
        Ops ps = tf.withDevice(ctx.variableDevice(0));
        Ops local = tf.withDevice(ctx.localDevice());
        Variable<TFloat32> weights =
            ps.withName("weights")
                .variable(ps.zeros(ps.constant(new long[] {buckets}), TFloat32.class));
        Variable<TFloat32> bias = ps.withName("bias").variable(ps.constant(0f));
        Placeholder<TInt64> ids =
            local.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, FIELDS)));
        Placeholder<TFloat32> labels = local.placeholder(TFloat32.class);
        SparseLookup lookup = SparseLookup.gather(tf, weights, ids);
        Operand<TFloat32> logits =
            local.math.add(local.reduceSum(lookup.rows(), local.constant(1)), bias);
        Operand<TFloat32> perExample =
            local.math.add(
                local.math.sub(
                    local.math.maximum(logits, local.constant(0f)), local.math.mul(logits, labels)),
                local.math.log1p(local.math.exp(local.math.neg(local.math.abs(logits)))));
        Operand<TFloat32> loss = local.math.mean(perExample, local.constant(0));
        SparseOptimizer adaGrad = SparseOptimizer.adaGrad(0.1f, 0.1f);
        ReplicatedTraining training =
            sparse
                ? ReplicatedTraining.asynchronous(ctx, graph, adaGrad, loss, List.of(lookup))
                : ReplicatedTraining.asynchronous(ctx, graph, adaGrad.dense(graph), loss);
        SyntheticClicks data = new SyntheticClicks(buckets, 1000L + ctx.taskIndex());
        try (Session session = ctx.session(graph);
            FedBatches fed =
                new FedBatches(data, batch, Math.min(WARM_UP + 1 + steps, MAX_BATCHES))) {
          training.begin(session, Duration.ofMinutes(5));
          for (int i = 0; i < WARM_UP; i++) {
            training.step(session, fed.next(ids, labels));
          }
          // The chief counts the PS process's TCP traffic and CPU over its timed steps, per global
          // step advanced meanwhile (both workers' steps); each worker its own process's CPU.
          long psPid = ctx.isChief() ? psPid(psPort(ctx)) : -1;
          long bytesBefore = ctx.isChief() ? traffic(psPid) : 0;
          long stepBefore = training.step(session, fed.next(ids, labels));
          long psCpuBefore = ctx.isChief() ? cpuNanos(psPid) : 0;
          long cpuBefore = cpuNanos(ProcessHandle.current().pid());
          long start = System.nanoTime();
          long stepAfter = stepBefore;
          for (int i = 0; i < steps; i++) {
            stepAfter = training.step(session, fed.next(ids, labels));
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          long cpu = cpuNanos(ProcessHandle.current().pid()) - cpuBefore;
          long psCpu = ctx.isChief() ? cpuNanos(psPid) - psCpuBefore : 0;
          long bytes = ctx.isChief() ? traffic(psPid) - bytesBefore : 0;
          write(
              ctx,
              "worker-" + ctx.taskIndex() + ".txt",
              steps
                  + " "
                  + seconds
                  + " "
                  + bytes
                  + " "
                  + (stepAfter - stepBefore)
                  + " "
                  + cpu
                  + " "
                  + psCpu);
          training.finish(session, Duration.ofMinutes(5));
          if (ctx.isChief()) {
            SyntheticClicks heldOut = new SyntheticClicks(buckets, 1L);
            double sum = 0;
            int batches = 20;
            for (int i = 0; i < batches; i++) {
              SyntheticClicks.Batch b = heldOut.next(batch);
              try (TInt64 idsValue = TInt64.tensorOf(StdArrays.ndCopyOf(b.ids()));
                  TFloat32 labelValue = TFloat32.vectorOf(b.labels());
                  TFloat32 value =
                      (TFloat32)
                          session
                              .runner()
                              .feed(ids, idsValue)
                              .feed(labels, labelValue)
                              .fetch(loss)
                              .run()
                              .get(0)) {
                sum += value.getFloat();
              }
            }
            write(ctx, "loss.txt", Double.toString(sum / batches));
          }
        }
      }
    }

    private static void write(NodeContext ctx, String name, String text) throws IOException {
      Files.writeString(Path.of(java.net.URI.create(ctx.modelDir())).resolve(name), text);
    }
  }

  /** The CPU time (user + system, all threads) process {@code pid} used so far. */
  static long cpuNanos(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(p -> p.info().totalCpuDuration())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Cannot read the CPU time of process " + pid + ": it is gone or not readable"))
        .toNanos();
  }

  /** The port of the parameter server's gRPC server. */
  static String psPort(NodeContext ctx) {
    String address = ctx.clusterSpec().address("ps", 0);
    return address.substring(address.lastIndexOf(':') + 1);
  }

  /** The pid of the process listening on {@code port}: the PS's gRPC server. */
  static long psPid(String port) throws IOException, InterruptedException {
    String out = ss("-tlnpH", "sport", "=", ":" + port);
    java.util.regex.Matcher pid = java.util.regex.Pattern.compile("pid=(\\d+)").matcher(out);
    if (!pid.find()) {
      throw new IOException("Cannot find the PS process listening on port " + port + ": " + out);
    }
    return Long.parseLong(pid.group(1));
  }

  /**
   * The bytes process {@code pid} sent and received so far over its established TCP connections:
   * the sum of bytes_acked + bytes_received (the kernel's tcp_info, as {@code ss -ti} prints it).
   * Per process, so other programs' traffic on the loopback interface does not count; for the PS it
   * is its gRPC traffic with the workers, in both directions (TensorFlow's receivers pull tensors,
   * so the PS also opens connections to the workers), plus small heartbeats.
   */
  static long traffic(long pid) throws IOException, InterruptedException {
    String out = ss("-tinpH", "state", "established");
    String me = "pid=" + pid + ",";
    long total = 0;
    boolean mine = false;
    int connections = 0;
    for (String line : out.split("\n")) {
      if (!line.startsWith(" ") && !line.startsWith("\t")) {
        mine = line.contains(me);
        continue;
      }
      if (mine) {
        total += field(line, "bytes_acked:") + field(line, "bytes_received:");
        connections++;
      }
    }
    if (connections == 0) {
      throw new IOException("Cannot count the PS traffic: process " + pid + " has no connection");
    }
    return total;
  }

  private static String ss(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("ss"));
    command.addAll(List.of(args));
    Process ss = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out =
        new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!ss.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || ss.exitValue() != 0) {
      ss.destroyForcibly();
      throw new IOException("Cannot run " + command + ": " + out);
    }
    return out;
  }

  private static long field(String line, String name) {
    int at = line.indexOf(name);
    if (at < 0) {
      return 0;
    }
    int end = at + name.length();
    while (end < line.length() && Character.isDigit(line.charAt(end))) {
      end++;
    }
    return Long.parseLong(line.substring(at + name.length(), end));
  }

  private static void writeReport(Path docs, String command, int steps, int batch, List<Run> runs)
      throws IOException {
    StringBuilder table =
        new StringBuilder(
            "| hash buckets | updates | steps/s | PS bytes/step | CPU ms/step PS | CPU ms/step"
                + " workers | held-out log loss |\n"
                + "|---|---|---:|---:|---:|---:|---:|\n");
    for (Run r : runs) {
      table.append(
          String.format(
              Locale.ROOT,
              "| 2^%d | %s | %.1f | %,.0f | %.2f | %.2f | %.5f |%n",
              r.log2Buckets(),
              r.sparse() ? "sparse" : "dense",
              r.stepsPerSecond(),
              r.bytesPerStep(),
              r.psCpuMs(),
              r.workersCpuMs(),
              r.logLoss()));
    }
    StringBuilder ratios = new StringBuilder();
    Run firstSparse = null;
    for (int i = 0; i + 1 < runs.size(); i += 2) {
      Run dense = runs.get(i);
      Run sparse = runs.get(i + 1);
      if (firstSparse == null) {
        firstSparse = sparse;
      }
      ratios.append(
          String.format(
              Locale.ROOT,
              "- 2^%d: sparse / dense steps/s **%.1f×**; bytes/step dense / sparse %.0f×;"
                  + " sparse bytes/step vs the smallest size %+.1f%%; log loss sparse − dense"
                  + " %+.5f%n",
              dense.log2Buckets(),
              sparse.stepsPerSecond() / dense.stepsPerSecond(),
              dense.bytesPerStep() / sparse.bytesPerStep(),
              100 * (sparse.bytesPerStep() / firstSparse.bytesPerStep() - 1),
              sparse.logLoss() - dense.logLoss()));
    }
    String section =
        String.format(
            Locale.ROOT,
            "%s%n## Sparse vs dense updates: Criteo-shaped logistic regression (issue 13)%n%n"
                + "Machine: %s. Command (from the repository root):%n%n```%n%s%n```%n%n"
                + "`org.sparktf.bench.SparseTrainingBenchmark`: 1 PS + 2 workers (Spark local[3],"
                + " separate node JVMs, gRPC over loopback), asynchronous AdaGrad (learning rate"
                + " 0.1) on a weight vector of `hash buckets` floats plus a bias on the PS; batches"
                + " of %d synthetic examples with %d hashed ids each (log-uniform values per field,"
                + " planted weights), made into tensors before the timing (at most %d per"
                + " worker, cycled), so the steps time training, not the Java code drawing"
                + " examples. Each worker runs %d warm-up steps, then %d timed ones."
                + " steps/s = both workers' timed steps / the slower worker's time. Bytes: over the"
                + " chief's timed steps, the change in `bytes_acked + bytes_received` (the kernel's"
                + " `tcp_info`, read with `ss -tinp`) summed over the PS process's established TCP"
                + " connections, divided by the global steps (both workers') made meanwhile."
                + " Counting the PS process's own connections keeps out other programs' loopback"
                + " traffic (`/proc/net/dev`'s `lo` counts all of it) and each worker's gRPC calls"
                + " to its own server (its feeds). (`/proc/self/io` does not work: gRPC's"
                + " sendmsg/recvmsg are not counted in rchar/wchar.)"
                + " CPU ms/step: the CPU time (user + system, all threads: TensorFlow's, gRPC's,"
                + " the JVM's) the PS process used over the chief's timed steps per global step"
                + " made meanwhile, and the two worker processes' over their own timed steps per"
                + " step they made (each worker step is one global step); the three processes"
                + " share the machine's cores, so cores / the sum bounds the global steps/s."
                + " Log loss: the chief's, on 10,240 held-out examples after both workers"
                + " finished. Dense updates send the gradient of the whole vector every step"
                + " (TensorFlow's C++ gradient of a gather is dense); sparse ones only the batch's"
                + " ids and one gradient per unique id.%n%n%s%n%s%n%s%n",
            START,
            MachineInfo.describe(),
            command,
            batch,
            FIELDS,
            MAX_BATCHES,
            WARM_UP,
            steps,
            table,
            ratios,
            END);
    ClusterBenchmark.replaceSection(docs, START, END, section);
    System.out.println(section);
  }
}
