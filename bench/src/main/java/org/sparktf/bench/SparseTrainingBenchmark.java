package org.sparktf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.SavedModels;
import org.sparktf.core.ShardedTable;
import org.sparktf.core.SparseLookup;
import org.sparktf.core.SparseOptimizer;
import org.sparktf.core.TFCluster;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Criteo-shaped logistic regression (39 hashed ids per example, one weight per hash bucket on the
 * parameter server, AdaGrad) on 1 PS + 2 workers, with dense updates (the gradient of the whole
 * weight vector every step) and sparse ones ({@link SparseLookup}), at several hash-bucket counts,
 * all in one run; then, with sparse updates, a larger weight vector split into a {@link
 * ShardedTable} of one shard per PS over {@value #SHARDED_PS} PS + 2 workers, whose chief
 * checkpoints and exports the table as one variable, and the benchmark checks that SavedModel. Per
 * run: global steps/s over the timed steps, bytes between the workers and the PS tasks per step
 * (the PS processes' TCP traffic, {@link #traffic}), and the log loss of the final model on
 * held-out examples.
 *
 * <p>Usage: SparseTrainingBenchmark --docs docs/benchmarks.md [--buckets 18,20,22] [--sharded 24]
 * [--steps 100] [--batch 512] [--threads default,1/1] [--steps-per-run 1,16]; {@code
 * --steps-per-run}: the training steps per {@code Session.run} to run every 1-PS size with, dense
 * and sparse alike (the sharded run uses the last; {@code --steps} is rounded up to whole runs);
 * {@code --sharded} gives the log2 size of the sharded weight vector, {@code none} for no sharded
 * run; {@code --threads} the nodes' TensorFlow pool sizes ({@link Pools}) to run every 1-PS size
 * with, dense and sparse alike, one after the other; the sharded run uses the first.
 */
public final class SparseTrainingBenchmark {
  private static final String START = "<!-- sparse-training-benchmark:start -->";
  private static final String END = "<!-- sparse-training-benchmark:end -->";
  static final int FIELDS = 39;
  static final int SHARDED_PS = 2;
  private static final int HELD_OUT_BATCHES = 20;
  private static final String SERVING_IDS = "ids";
  private static final String SERVING_LOGITS = "logits";
  private static final int WARM_UP = 10;
  // Batches made before the timing, cycled: 160 KB of ids each.
  private static final int MAX_BATCHES = 256;

  private SparseTrainingBenchmark() {}

  /**
   * One run's numbers; {@code exportLogLoss}: the held-out log loss of the checked SavedModel (NaN
   * for runs on 1 PS, which export nothing).
   */
  record Run(
      Pools pools,
      int stepsPerRun,
      int log2Buckets,
      int psTasks,
      boolean sparse,
      double stepsPerSecond,
      double bytesPerStep,
      double logLoss,
      double exportLogLoss,
      double psCpuMs,
      double workersCpuMs) {}

  /**
   * The TensorFlow inter-op and intra-op pool sizes of every node ({@link
   * TFCluster.Builder#interOpThreads}, {@link TFCluster.Builder#intraOpThreads}); 0: TensorFlow's
   * own sizing.
   */
  record Pools(int interOp, int intraOp) {
    /** "default" (TensorFlow's sizing), "N" (both pools N threads) or "INTER/INTRA". */
    static Pools parse(String text) {
      String value = text.trim();
      try {
        if (value.equals("default")) {
          return new Pools(0, 0);
        }
        int slash = value.indexOf('/');
        Pools pools =
            slash < 0
                ? new Pools(Integer.parseInt(value), Integer.parseInt(value))
                : new Pools(
                    Integer.parseInt(value.substring(0, slash)),
                    Integer.parseInt(value.substring(slash + 1)));
        if (pools.interOp() >= 0 && pools.intraOp() >= 0) {
          return pools;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          "Invalid --threads setting: '"
              + text
              + "'; give default, N (both pools) or INTER/INTRA thread counts >= 0, comma-separated");
    }

    @Override
    public String toString() {
      return interOp == 0 && intraOp == 0 ? "default" : interOp + "/" + intraOp;
    }
  }

  public static void main(String[] args) throws Exception {
    Path work = Path.of(ClusterBenchmark.arg(args, "--work", "target/bench-work")).toAbsolutePath();
    Path docs = Path.of(ClusterBenchmark.arg(args, "--docs", "docs/benchmarks.md"));
    int steps = Integer.parseInt(ClusterBenchmark.arg(args, "--steps", "100"));
    int batch = Integer.parseInt(ClusterBenchmark.arg(args, "--batch", "512"));
    List<Integer> sizes = new ArrayList<>();
    for (String s : ClusterBenchmark.arg(args, "--buckets", "18,20,22").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    String sharded = ClusterBenchmark.arg(args, "--sharded", "24");
    List<Pools> pools = new ArrayList<>();
    for (String s : ClusterBenchmark.arg(args, "--threads", "default").split(",")) {
      pools.add(Pools.parse(s));
    }
    List<Integer> perRun = new ArrayList<>();
    for (String s : ClusterBenchmark.arg(args, "--steps-per-run", "1").split(",")) {
      int k = Integer.parseInt(s.trim());
      if (k < 1) {
        throw new IllegalArgumentException(
            "Invalid --steps-per-run: " + k + "; give training steps per Session.run >= 1");
      }
      perRun.add(k);
    }
    if (!sharded.equals("none") && !sharded.matches("\\d{1,2}")) {
      throw new IllegalArgumentException(
          "Invalid --sharded: " + sharded + "; give the log2 of the hash buckets (24) or none");
    }
    Files.createDirectories(work);
    SparkSession spark =
        SparkSession.builder()
            .master("local[" + (SHARDED_PS + 2) + "]")
            .appName("SparseTrainingBenchmark")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    List<Run> runs = new ArrayList<>();
    try {
      for (Pools setting : pools) {
        for (int log2 : sizes) {
          for (int k : perRun) {
            for (boolean sparse : new boolean[] {false, true}) {
              runs.add(print(train(spark, work, setting, k, log2, 1, sparse, steps, batch)));
            }
          }
        }
      }
      if (!sharded.equals("none")) {
        int log2 = Integer.parseInt(sharded);
        runs.add(
            print(
                train(
                    spark,
                    work,
                    pools.get(0),
                    perRun.get(perRun.size() - 1),
                    log2,
                    SHARDED_PS,
                    true,
                    steps,
                    batch)));
      }
    } finally {
      spark.stop();
    }
    String command =
        "bench/sparse.sh --buckets "
            + String.join(",", sizes.stream().map(String::valueOf).toList())
            + " --sharded "
            + sharded
            + " --steps "
            + steps
            + " --batch "
            + batch
            + " --threads "
            + String.join(",", pools.stream().map(Pools::toString).toList())
            + " --steps-per-run "
            + String.join(",", perRun.stream().map(String::valueOf).toList());
    writeReport(docs, command, steps, batch, runs);
  }

  private static Run print(Run run) {
    System.out.printf(
        Locale.ROOT,
        "pools %s, %d steps/run, 2^%d on %d PS, %s: %.1f steps/s, %.0f bytes/step, log loss %.5f (export: %.5f), CPU"
            + " ms/step PS %.2f workers %.2f%n",
        run.pools(),
        run.stepsPerRun(),
        run.log2Buckets(),
        run.psTasks(),
        run.sparse() ? "sparse" : "dense",
        run.stepsPerSecond(),
        run.bytesPerStep(),
        run.logLoss(),
        run.exportLogLoss(),
        run.psCpuMs(),
        run.workersCpuMs());
    return run;
  }

  private static Run train(
      SparkSession spark,
      Path work,
      Pools pools,
      int stepsPerRun,
      int log2,
      int psTasks,
      boolean sparse,
      int steps,
      int batch)
      throws IOException {
    Path out = Files.createTempDirectory(work, "sparse-run-");
    // The tables live in TensorFlow's native memory (a 2^24 shard pair: 2 x 32 MB of weights and
    // as much of AdaGrad's accumulator per PS), not on the node JVMs' heap.
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(psTasks + 2)
            .numPs(psTasks)
            .inputMode(InputMode.TENSORFLOW)
            .modelDir(out.toUri().toString())
            .reservationTimeout(Duration.ofMinutes(5))
            .nodeJavaOptions("-Xmx1g")
            .interOpThreads(pools.interOp())
            .intraOpThreads(pools.intraOp())
            .run(new Node(1L << log2, psTasks, sparse, steps, batch, stepsPerRun))) {
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
    double exportLoss = Double.NaN;
    if (psTasks > 1) {
      exportLoss = checkExport(out.resolve("export"), 1L << log2, batch, loss);
      // The checkpoint (weights and accumulator) and the export: 192 MB at 2^24.
      deleteTree(out);
    }
    return new Run(
        pools,
        stepsPerRun,
        log2,
        psTasks,
        sparse,
        totalSteps / seconds,
        bytesPerStep,
        loss,
        exportLoss,
        psCpuMs,
        workersCpu / 1e6 / totalSteps);
  }

  /**
   * Checks the chief's SavedModel of a sharded table: the weight vector is one variable of the full
   * shape, nothing is placed on a parameter server, and its held-out log loss is the chief's.
   * Returns that log loss.
   */
  private static double checkExport(Path dir, long buckets, int batch, double chiefLoss) {
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString())) {
      List<String> tables =
          bundle.graph().toGraphDef().getNodeList().stream()
              .filter(n -> n.getOp().startsWith("Variable") && n.getName().startsWith("weights"))
              .map(NodeDef::getName)
              .toList();
      Shape shape = bundle.graph().operation("weights").output(0).shape();
      if (!tables.equals(List.of("weights")) || !shape.equals(Shape.of(buckets))) {
        throw new IllegalStateException(
            "Invalid export of the sharded table: variables "
                + tables
                + ", weights "
                + shape
                + "; expected one variable weights of shape ["
                + buckets
                + "]");
      }
      if (bundle.graph().toGraphDef().getNodeList().stream()
          .anyMatch(n -> n.getDevice().contains("/job:ps"))) {
        throw new IllegalStateException(
            "Invalid export of the sharded table: it places ops on /job:ps");
      }
      double loss =
          heldOutLogLoss(
              buckets,
              batch,
              b -> {
                try (TInt64 ids = TInt64.tensorOf(StdArrays.ndCopyOf(b.ids()));
                    var result =
                        bundle.function("serving_default").call(Map.of(SERVING_IDS, ids))) {
                  TFloat32 logits = (TFloat32) result.get(SERVING_LOGITS).orElseThrow();
                  double sum = 0;
                  for (int i = 0; i < b.labels().length; i++) {
                    double x = logits.getFloat(i);
                    sum += Math.max(x, 0) - x * b.labels()[i] + Math.log1p(Math.exp(-Math.abs(x)));
                  }
                  return sum / b.labels().length;
                }
              });
      if (Math.abs(loss - chiefLoss) > 1e-4) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "Invalid export of the sharded table: its held-out log loss %.6f is not the"
                    + " chief's %.6f",
                loss,
                chiefLoss));
      }
      return loss;
    }
  }

  /** The mean of {@code meanLoss} over the held-out batches (the same for every run). */
  static double heldOutLogLoss(
      long buckets,
      int batch,
      java.util.function.ToDoubleFunction<SyntheticClicks.Batch> meanLoss) {
    SyntheticClicks heldOut = new SyntheticClicks(buckets, 1L);
    double sum = 0;
    for (int i = 0; i < HELD_OUT_BATCHES; i++) {
      sum += meanLoss.applyAsDouble(heldOut.next(batch));
    }
    return sum / HELD_OUT_BATCHES;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(path);
      }
    }
  }

  /** The logit of each example: the sum of its ids' weights, plus the bias. */
  private static Operand<TFloat32> logits(Ops tf, Operand<TFloat32> rows, Operand<TFloat32> bias) {
    return tf.math.add(tf.reduceSum(rows, tf.constant(1)), bias);
  }

  /** The serving graph: the weight vector as one variable of its full shape, no devices. */
  static Signature serving(Ops tf, long buckets) {
    Variable<TFloat32> weights =
        tf.withName("weights")
            .variable(tf.zeros(tf.constant(new long[] {buckets}), TFloat32.class));
    Variable<TFloat32> bias = tf.withName("bias").variable(tf.constant(0f));
    Placeholder<TInt64> ids =
        tf.withName(SERVING_IDS).placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, FIELDS)));
    return Signature.builder()
        .input(SERVING_IDS, ids)
        .output(SERVING_LOGITS, logits(tf, tf.gather(weights, ids, tf.constant(0)), bias))
        .build();
  }

  /**
   * Each worker: at least 10 warm-up steps, then {@code steps} timed ones, {@code stepsPerRun}
   * training steps per {@code Session.run} ({@link ReplicatedTraining#asynchronous(NodeContext,
   * Graph, SparseOptimizer, int, ReplicatedTraining.StepModel)}, dense and sparse alike); the chief
   * then evaluates and, with several PS tasks (the weights then in one shard per PS), checkpoints
   * and exports.
   */
  static final class Node implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final long buckets;
    private final int psTasks;
    private final boolean sparse;
    private final int steps;
    private final int batch;
    private final int stepsPerRun;

    Node(long buckets, int psTasks, boolean sparse, int steps, int batch, int stepsPerRun) {
      this.buckets = buckets;
      this.psTasks = psTasks;
      this.sparse = sparse;
      this.steps = steps;
      this.batch = batch;
      this.stepsPerRun = stepsPerRun;
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
        // One shard per PS task (one plain variable "weights" on 1 PS).
        ShardedTable weights =
            ShardedTable.onParameterServers(
                ctx,
                tf,
                "weights",
                Shape.of(buckets),
                psTasks,
                0,
                (ops, first, shape) -> ops.zeros(ops.constant(shape.asArray()), TFloat32.class));
        Variable<TFloat32> bias = ps.withName("bias").variable(ps.constant(0f));
        // Each step of a run: its own placeholders; it reads the weights and the bias with the
        // step's Ops (ordered after the previous step's update), the rest runs on the worker.
        List<Placeholder<TInt64>> ids = new ArrayList<>();
        List<Placeholder<TFloat32>> labels = new ArrayList<>();
        List<Operand<TFloat32>> losses = new ArrayList<>();
        SparseOptimizer adaGrad = SparseOptimizer.adaGrad(0.1f, 0.1f);
        ReplicatedTraining training =
            ReplicatedTraining.asynchronous(
                ctx,
                graph,
                adaGrad,
                stepsPerRun,
                (step, k) -> {
                  ids.add(local.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, FIELDS))));
                  labels.add(local.placeholder(TFloat32.class));
                  SparseLookup lookup = SparseLookup.gather(step, weights, ids.get(k));
                  Operand<TFloat32> logits =
                      logits(local, lookup.rows(), ReplicatedTraining.read(step, bias));
                  Operand<TFloat32> perExample =
                      local.math.add(
                          local.math.sub(
                              local.math.maximum(logits, local.constant(0f)),
                              local.math.mul(logits, labels.get(k))),
                          local.math.log1p(local.math.exp(local.math.neg(local.math.abs(logits)))));
                  losses.add(local.math.mean(perExample, local.constant(0)));
                  return new ReplicatedTraining.StepLoss(
                      losses.get(k), sparse ? List.of(lookup) : List.of());
                });
        // The held-out loss: the first step's (no earlier update to wait for).
        Operand<TFloat32> loss = losses.get(0);
        SyntheticClicks data = new SyntheticClicks(buckets, 1000L + ctx.taskIndex());
        try (Session session = ctx.session(graph);
            FedBatches fed =
                new FedBatches(
                    data, batch, Math.min(WARM_UP + stepsPerRun * 2 + steps, MAX_BATCHES))) {
          training.begin(session, Duration.ofMinutes(5));
          int warmUpRuns = (WARM_UP + stepsPerRun - 1) / stepsPerRun;
          for (int i = 0; i < warmUpRuns; i++) {
            training.step(session, feeds(fed, ids, labels));
          }
          // The chief counts the PS processes' TCP traffic and CPU over its timed steps, per global
          // step advanced meanwhile (both workers' steps); each worker its own process's CPU.
          long[] psPids = new long[ctx.isChief() ? psTasks : 0];
          for (int task = 0; task < psPids.length; task++) {
            psPids[task] = psPid(psPort(ctx, task));
          }
          long bytesBefore = traffic(psPids);
          long stepBefore = training.step(session, feeds(fed, ids, labels));
          long psCpuBefore = cpuNanos(psPids);
          long cpuBefore = cpuNanos(ProcessHandle.current().pid());
          long start = System.nanoTime();
          long stepAfter = stepBefore;
          // Whole runs: --steps rounded up to a multiple of the steps per run.
          int runs = (steps + stepsPerRun - 1) / stepsPerRun;
          for (int i = 0; i < runs; i++) {
            stepAfter = training.step(session, feeds(fed, ids, labels));
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          long cpu = cpuNanos(ProcessHandle.current().pid()) - cpuBefore;
          long psCpu = cpuNanos(psPids) - psCpuBefore;
          long bytes = traffic(psPids) - bytesBefore;
          write(
              ctx,
              "worker-" + ctx.taskIndex() + ".txt",
              runs * stepsPerRun
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
          long finalStep = training.finish(session, Duration.ofMinutes(5));
          if (ctx.isChief()) {
            double heldOut =
                heldOutLogLoss(
                    buckets,
                    batch,
                    b -> {
                      try (TInt64 idsValue = TInt64.tensorOf(StdArrays.ndCopyOf(b.ids()));
                          TFloat32 labelValue = TFloat32.vectorOf(b.labels());
                          TFloat32 value =
                              (TFloat32)
                                  session
                                      .runner()
                                      .feed(ids.get(0), idsValue)
                                      .feed(labels.get(0), labelValue)
                                      .fetch(loss)
                                      .run()
                                      .get(0)) {
                        return value.getFloat();
                      }
                    });
            write(ctx, "loss.txt", Double.toString(heldOut));
            if (psTasks > 1) {
              // The logical table, as slices of one tensor "weights" (ReplicatedTraining's saver).
              Checkpoints.every(0, 0, 1).save(ctx, session, finalStep);
            }
          }
        }
      }
      if (ctx.isChief() && psTasks > 1) {
        export(ctx);
      }
    }

    /** The next batch for each step of a run. */
    private static Map<Operand<?>, org.tensorflow.Tensor> feeds(
        FedBatches fed, List<Placeholder<TInt64>> ids, List<Placeholder<TFloat32>> labels) {
      Map<Operand<?>, Tensor> feeds = new HashMap<>();
      for (int k = 0; k < ids.size(); k++) {
        feeds.putAll(fed.next(ids.get(k), labels.get(k)));
      }
      return feeds;
    }

    /** Exports {@link #serving}, restored from the sharded checkpoint, to modelDir/export. */
    private void export(NodeContext ctx) {
      try (Graph graph = new Graph()) {
        Signature signature = serving(Ops.create(graph), buckets);
        try (Session session = new Session(graph)) {
          if (Checkpoints.restoreLatest(ctx, session).isEmpty()) {
            throw new IllegalStateException("Cannot export: the chief's checkpoint is missing");
          }
          SavedModels.export(
              session, ctx.hadoopConf(), ctx.modelDir() + "/export", ctx.localDir(), signature);
        }
      }
    }

    private static void write(NodeContext ctx, String name, String text) throws IOException {
      Files.writeString(Path.of(java.net.URI.create(ctx.modelDir())).resolve(name), text);
    }
  }

  /** The CPU time (user + system, all threads) processes {@code pids} used so far, summed. */
  static long cpuNanos(long... pids) {
    long total = 0;
    for (long pid : pids) {
      total +=
          ProcessHandle.of(pid)
              .flatMap(p -> p.info().totalCpuDuration())
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "Cannot read the CPU time of process "
                              + pid
                              + ": it is gone or not readable"))
              .toNanos();
    }
    return total;
  }

  /** The port of PS task {@code task}'s gRPC server. */
  static String psPort(NodeContext ctx, int task) {
    String address = ctx.clusterSpec().address("ps", task);
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
   * The bytes processes {@code pids} sent and received so far over their established TCP
   * connections: the sum of bytes_acked + bytes_received (the kernel's tcp_info, as {@code ss -ti}
   * prints it), over each process's connections. Per process, so other programs' traffic on the
   * loopback interface does not count; for the PS tasks it is their gRPC traffic with the workers,
   * in both directions (TensorFlow's receivers pull tensors, so a PS also opens connections to the
   * workers), plus small heartbeats. 0 for no process.
   */
  static long traffic(long... pids) throws IOException, InterruptedException {
    if (pids.length == 0) {
      return 0;
    }
    String out = ss("-tinpH", "state", "established");
    long total = 0;
    for (long pid : pids) {
      String me = "pid=" + pid + ",";
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
            "| TF pools | steps/run | hash buckets | PS tasks | updates | steps/s | PS bytes/step | CPU ms/step PS |"
                + " CPU ms/step workers | held-out log loss |\n"
                + "|---|---:|---|---:|---|---:|---:|---:|---:|---:|\n");
    for (Run r : runs) {
      table.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | 2^%d | %d | %s | %.1f | %,.0f | %.2f | %.2f | %.5f |%n",
              r.pools(),
              r.stepsPerRun(),
              r.log2Buckets(),
              r.psTasks(),
              r.sparse() ? (r.psTasks() > 1 ? "sparse, 1 shard per PS" : "sparse") : "dense",
              r.stepsPerSecond(),
              r.bytesPerStep(),
              r.psCpuMs(),
              r.workersCpuMs(),
              r.logLoss()));
    }
    StringBuilder ratios = new StringBuilder();
    Run firstSparse = null;
    List<Run> onePs = runs.stream().filter(r -> r.psTasks() == 1).toList();
    for (int i = 0; i + 1 < onePs.size(); i += 2) {
      Run dense = onePs.get(i);
      Run sparse = onePs.get(i + 1);
      if (firstSparse == null) {
        firstSparse = sparse;
      }
      ratios.append(
          String.format(
              Locale.ROOT,
              "- %s pools, %d steps/run, 2^%d: sparse / dense steps/s **%.1f×**; bytes/step dense / sparse %.0f×;"
                  + " sparse bytes/step vs the smallest size %+.1f%%; log loss sparse − dense"
                  + " %+.5f%n",
              dense.pools(),
              dense.stepsPerRun(),
              dense.log2Buckets(),
              sparse.stepsPerSecond() / dense.stepsPerSecond(),
              dense.bytesPerStep() / sparse.bytesPerStep(),
              100 * (sparse.bytesPerStep() / firstSparse.bytesPerStep() - 1),
              sparse.logLoss() - dense.logLoss()));
    }
    for (Run r : runs) {
      if (r.psTasks() > 1) {
        ratios.append(
            String.format(
                Locale.ROOT,
                "- 2^%d over %d PS: the export has one variable `weights` of shape [%d] and no"
                    + " `/job:ps` device; its held-out log loss %.6f, the chief's %.6f (checked"
                    + " within 1e-4)%s%n",
                r.log2Buckets(),
                r.psTasks(),
                1L << r.log2Buckets(),
                r.exportLogLoss(),
                r.logLoss(),
                firstSparse == null
                    ? ""
                    : String.format(
                        Locale.ROOT,
                        "; bytes/step vs 1 PS, sparse, 2^%d: %+.1f%%",
                        firstSparse.log2Buckets(),
                        100 * (r.bytesPerStep() / firstSparse.bytesPerStep() - 1))));
      }
    }
    String section =
        String.format(
            Locale.ROOT,
            "%s%n## Sparse vs dense updates: Criteo-shaped logistic regression (issue 13)%n%n"
                + "Machine: %s. Command (from the repository root):%n%n```%n%s%n```%n%n"
                + "`org.sparktf.bench.SparseTrainingBenchmark`: 1 PS + 2 workers (Spark local[4],"
                + " separate node JVMs, gRPC over loopback), asynchronous AdaGrad (learning rate"
                + " 0.1) on a weight vector of `hash buckets` floats plus a bias on the PS; batches"
                + " of %d synthetic examples with %d hashed ids each (log-uniform values per field,"
                + " planted weights), made into tensors before the timing (at most %d per"
                + " worker, cycled), so the steps time training, not the Java code drawing"
                + " examples. Each worker runs at least %d warm-up steps, then %d timed ones (rounded up to"
                + " whole runs), `steps/run` training steps per `Session.run`"
                + " (`ReplicatedTraining.asynchronous(ctx, graph, optimizer, stepsPerRun, model)`:"
                + " K batches fed at once, K chained steps, each reading the variables after the"
                + " previous one's update and advancing the global step; both contenders get the"
                + " same K; the sharded run uses the last)."
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
                + " ids and one gradient per unique id."
                + " The row on %d PS tasks (2 workers): sparse updates of a"
                + " weight vector split by id ranges into one `ShardedTable` shard per PS"
                + " (`weights.part_0`, `weights.part_1`, each with its AdaGrad accumulator on its"
                + " PS; the bias on PS 0); bytes summed over both PS processes' connections. After"
                + " the held-out loss, its chief saves a checkpoint (the table as slices of one"
                + " tensor `weights`) and exports a SavedModel from a serving graph holding"
                + " `weights` as one variable of the full shape, restored from that checkpoint; the"
                + " benchmark then loads the export, checks its variable and devices, and scores"
                + " the same held-out examples with it (ids to logits; log loss in Java), and"
                + " fails unless that log loss is the chief's within 1e-4. TF pools: the"
                + " inter-op/intra-op thread pool sizes of every node (`--threads`; `default`:"
                + " TensorFlow's own, all cores in each node process), the same for both"
                + " contenders; the sharded run uses the first setting.%n%n%s%n%s%n%s%n",
            START,
            MachineInfo.describe(),
            command,
            batch,
            FIELDS,
            MAX_BATCHES,
            WARM_UP,
            steps,
            SHARDED_PS,
            table,
            ratios,
            END);
    ClusterBenchmark.replaceSection(docs, START, END, section);
    System.out.println(section);
  }
}
