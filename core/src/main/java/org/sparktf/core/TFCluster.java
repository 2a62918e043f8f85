package org.sparktf.core;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.columnar.FeedSchema;
import org.sparktf.core.internal.CheckpointStore;
import org.sparktf.core.internal.ClosureSerializer;
import org.sparktf.core.internal.ClusterLayout;
import org.sparktf.core.internal.CoreErrors;
import org.sparktf.core.internal.NodeAddress;
import org.sparktf.core.internal.NodeLauncher;
import org.sparktf.core.internal.PortRange;
import org.sparktf.core.internal.SlotCounter;
import org.sparktf.core.internal.ThreadPools;
import org.sparktf.core.internal.feed.FeedPlan;
import org.sparktf.core.internal.feed.FeedPosition;
import org.sparktf.core.internal.feed.PartitionFeeder;

/**
 * A TensorFlow cluster on Spark executors: one node (a TensorFlow gRPC server in its own child
 * process) per executor, with parameter servers, workers (worker 0 is the chief) and an optional
 * evaluator.
 *
 * <pre>{@code
 * try (TFCluster cluster = TFCluster.builder(spark).numExecutors(3).numPs(1)
 *     .inputMode(InputMode.TENSORFLOW).modelDir("hdfs:///user/me/model").run(MyTraining::run)) {
 *   cluster.shutdown();   // waits for the workers, then stops the parameter servers
 * }
 * }</pre>
 *
 * <p>Every wait has a timeout. A failing node fails the cluster promptly with its role and stack
 * trace; a node that falls silent (a frozen process, a lost host, a partition) counts as lost after
 * {@link Builder#nodeLivenessTimeout}, and one whose executor Spark removes at once. {@link
 * #close()} releases every process, thread and port whatever happened.
 */
public final class TFCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TFCluster.class);
  private static final long PS_GRACE_MILLIS = 30_000;
  // Longer than the coordinator's wait for a dead node's exit report.
  private static final long VERDICT_WAIT_MILLIS = 15_000;
  // The local properties behind SparkContext.setJobDescription and setInterruptOnCancel.
  private static final String JOB_DESCRIPTION = "spark.job.description";
  private static final String JOB_INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

  /** The Spark conf key of the default {@link Builder#progressInterval}. */
  public static final String PROGRESS_INTERVAL_KEY = "spark.sparktf.progressInterval";

  /** The Spark conf key of the default {@link Builder#nodeLivenessTimeout}. */
  public static final String LIVENESS_TIMEOUT_KEY = "spark.sparktf.nodeLivenessTimeout";

  /**
   * The Spark conf key that sets {@link Builder#maxRestarts} where the code does not, so that a
   * production submission can let a job survive the loss of an executor without a code change:
   * {@code spark-submit --conf spark.sparktf.maxRestarts=2}.
   */
  public static final String MAX_RESTARTS_KEY = "spark.sparktf.maxRestarts";

  /** The Spark conf key of the default {@link Builder#interOpThreads}. */
  public static final String INTER_OP_THREADS_KEY = "spark.sparktf.interOpThreads";

  /** The Spark conf key of the default {@link Builder#intraOpThreads}. */
  public static final String INTRA_OP_THREADS_KEY = "spark.sparktf.intraOpThreads";

  private final SparkSession spark;
  private final Builder options;
  private final ClusterLayout layout;
  private final byte[] function;
  private final String baseId;
  private volatile ClusterGeneration generation;
  private int restarts;
  private volatile boolean shutDown;
  // SPARK mode: every training run so far (one epoch of a train() call each), in order. A restart
  // feeds them again from the position of the checkpoint it restores.
  private final List<TrainingRun> runs = new ArrayList<>();
  // The feed position of the checkpoint the running generation restored (START: none of this
  // cluster's checkpoints, so every run is fed again).
  private volatile FeedPosition restoredPosition = FeedPosition.START;
  // Numbers every feeding job, so a worker tells a retried task of this epoch from the next epoch.
  private final java.util.concurrent.atomic.AtomicInteger feeds =
      new java.util.concurrent.atomic.AtomicInteger();
  // host:port of every TensorFlow server this cluster has started: no later generation reuses one.
  private final Set<String> usedAddresses = new LinkedHashSet<>();
  private final ExecutorWatch executorWatch = new ExecutorWatch();
  private boolean watching;
  private final ProgressTracker progress;

  private TFCluster(
      SparkSession spark,
      Builder options,
      ClusterLayout layout,
      byte[] function,
      String baseId,
      ClusterGeneration generation) {
    this.spark = spark;
    this.options = options;
    this.layout = layout;
    this.function = function;
    this.baseId = baseId;
    this.progress =
        new ProgressTracker(layout, options.progressInterval(spark.sparkContext()), generation.id);
    adopt(generation);
    spark.sparkContext().addSparkListener(executorWatch);
    watching = true;
  }

  /** Makes {@code next} the running generation. */
  private void adopt(ClusterGeneration next) {
    this.generation = next;
    synchronized (usedAddresses) {
      next.clusterSpec.jobs().values().forEach(usedAddresses::addAll);
    }
    progress.generation(next.id, next.coordinator);
    // A failed node can never take more data: cancel whatever feeds or infers through the cluster.
    // By tag: the feeding jobs stay in the caller's job group, which SparkTF never replaces.
    String tag = feedJobTag(next.id);
    next.coordinator.onFailure(() -> spark.sparkContext().cancelJobsWithTag(tag));
  }

  /** Starts describing a cluster on this application's executors. */
  public static Builder builder(SparkSession spark) {
    return new Builder(spark);
  }

  /** The TensorFlow cluster as the nodes see it (after a restart, the restarted nodes). */
  public ClusterSpec clusterSpec() {
    return generation.clusterSpec;
  }

  /**
   * A short id of this cluster, used in thread names and logs; a restarted cluster's id ends with
   * {@code -r<n>}.
   */
  public String id() {
    return generation.id;
  }

  /** The running generation: its coordinator and nodes (tests read their ports). */
  ClusterGeneration generation() {
    return generation;
  }

  /**
   * Where training is now: epoch, rows fed, global step, loss, speed, time left and each worker's
   * profile (see {@link TrainingProgress}). The workers report their steps through {@link
   * NodeContext#reportStep} ({@link TrainingLoop} does); without reports only the rows fed by
   * {@link #train} are known.
   */
  public TrainingProgress progress() {
    return progress.latest();
  }

  /**
   * Calls {@code listener} with the progress at every {@link Builder#progressInterval} while
   * training runs, at the end of every epoch of {@link #train} and once when the workers finished
   * in {@link #shutdown()}.
   */
  public void addProgressListener(ProgressListener listener) {
    progress.addListener(listener);
  }

  /** Stops calling {@code listener}. */
  public void removeProgressListener(ProgressListener listener) {
    progress.removeListener(listener);
  }

  /** How many times the cluster restarted after losing a node (see {@link Builder#maxRestarts}). */
  public synchronized int restarts() {
    return restarts;
  }

  /**
   * Feeds every row of {@code data} to the workers, {@code epochs} times (InputMode.SPARK). Each
   * partition goes to one worker, a local one when its executor has one; within an epoch every row
   * reaches exactly one worker once. Returns when every partition of every epoch has been taken (or
   * skipped after a worker called {@link DataFeed#terminate()}). When a node is lost and restarts
   * are left ({@link Builder#maxRestarts}), the cluster restarts from its newest checkpoint and is
   * fed again from the position recorded with that checkpoint: no row goes untrained, and a row is
   * trained at most once more than {@code epochs} (see docs/cluster.md). A feeding task that Spark
   * retries resumes after the rows its worker already took, so it feeds no row twice; that needs
   * {@code data} to give the same rows on every read (cache or checkpoint it otherwise).
   *
   * @throws TFClusterException when a node failed, a worker took no data within the feed timeout,
   *     or a retried feeding task read other rows than its first attempt
   * @throws IllegalStateException when {@code spark.speculation} is on
   */
  public void train(Dataset<Row> data, int epochs) {
    requireSparkMode("train");
    if (epochs < 1) {
      throw new IllegalArgumentException("Invalid epochs: " + epochs + "; it must be >= 1");
    }
    FeedSchema schema = FeedSchema.of(data.schema());
    JavaRDD<InternalRow> rows = data.queryExecution().toRdd().toJavaRDD();
    // The rows the last feeding job fed: a run again after a restart counts afresh.
    AtomicReference<LongAccumulator> fed = new AtomicReference<>();
    Consumer<FeedPlan> job =
        plan -> {
          LongAccumulator counter = spark.sparkContext().longAccumulator("SparkTF rows fed");
          fed.set(counter);
          rows.foreachPartition(new FeedPartition(plan, counter));
        };
    progress.beginTrain(epochs);
    try {
      for (int epoch = 0; epoch < epochs; epoch++) {
        progress.beginEpoch(epoch + 1);
        String description = "SparkTF train, epoch " + (epoch + 1) + "/" + epochs;
        int run;
        synchronized (runs) {
          runs.add(new TrainingRun(description, schema, job, rows.getNumPartitions()));
          run = runs.size() - 1;
        }
        feedRun(run, "");
        progress.endEpoch(fed.get() == null ? 0 : fed.get().value());
      }
    } finally {
      progress.endTrain();
    }
  }

  /** One epoch of a {@link #train} call: what a restart may have to feed again. */
  private static final class TrainingRun {
    final String description;
    final FeedSchema schema;
    final Consumer<FeedPlan> job;
    final int partitions;

    TrainingRun(String description, FeedSchema schema, Consumer<FeedPlan> job, int partitions) {
      this.description = description;
      this.schema = schema;
      this.job = job;
      this.partitions = partitions;
    }
  }

  /** Feeds training run {@code run}, unless the restored checkpoint holds all of it. */
  private void feedRun(int run, String again) {
    TrainingRun training;
    synchronized (runs) {
      training = runs.get(run);
    }
    if (restoredPosition.finished(run)) {
      return;
    }
    feed("train", training.description + again, training.schema, training.job, run);
  }

  /**
   * After a restart: feeds again every training run before {@code end} that the restored checkpoint
   * does not hold completely, each partition from the rows it holds on. Rows trained after the
   * checkpoint and before the failure are trained twice; none goes untrained.
   */
  private void feedAgainUpTo(int end) {
    int from = restoredPosition.firstUnfinishedRun();
    if (from < end) {
      LOG.info(
          "Cluster {} feeds epochs again from the position of the checkpoint it restored ({}):"
              + " training runs {} to {}",
          generation.id,
          restoredPosition,
          from,
          end - 1);
    }
    for (int run = from; run < end; run++) {
      feedRun(run, " again after a restart");
    }
  }

  /**
   * Runs every row of {@code data} through the workers' inference function (InputMode.SPARK) and
   * returns the input columns followed by the {@code outputs} columns, one row per input row. The
   * result is computed now, while the cluster runs, and cached: unpersist it when done. A node lost
   * meanwhile restarts the cluster, when restarts are left, and the inference runs again.
   *
   * @param outputs the output columns the node function returns through {@link FeedBatch#respond}:
   *     float, double, int, long, boolean, string, or arrays of those
   * @throws IllegalStateException when {@code spark.speculation} is on
   */
  public Dataset<Row> inference(Dataset<Row> data, StructType outputs) {
    requireSparkMode("run inference");
    for (String name : outputs.fieldNames()) {
      if (java.util.Arrays.asList(data.schema().fieldNames()).contains(name)) {
        throw new IllegalArgumentException(
            "Invalid output column: '" + name + "' is already an input column; rename it");
      }
    }
    StructType schema = data.schema();
    for (StructField field : outputs.fields()) {
      schema = schema.add(field);
    }
    StructType resultSchema = schema;
    List<Dataset<Row>> result = new ArrayList<>(1);
    try {
      feed(
          "run inference",
          "SparkTF inference",
          FeedSchema.of(data.schema()),
          plan -> {
            // A run again after a restart replaces what the failed run cached.
            result.forEach(Dataset::unpersist);
            result.clear();
            JavaRDD<Row> rows =
                data.queryExecution()
                    .toRdd()
                    .toJavaRDD()
                    .mapPartitions(new InferPartition(plan, data.schema(), outputs.fieldNames()));
            Dataset<Row> scored = spark.createDataFrame(rows, resultSchema);
            scored.persist(StorageLevel.MEMORY_AND_DISK());
            result.add(scored);
            scored.count();
          },
          -1);
    } catch (RuntimeException e) {
      result.forEach(Dataset::unpersist);
      throw e;
    }
    return result.get(0);
  }

  /**
   * Runs one feeding job on the current nodes. After a node loss (during the job, or before it)
   * with restarts left, restarts the cluster; a training run ({@code run >= 0}) then feeds the
   * earlier runs again from the restored checkpoint's position ({@link #feedAgainUpTo}) and itself
   * from that position, an inference job runs again from its start.
   */
  private void feed(
      String action, String description, FeedSchema schema, Consumer<FeedPlan> job, int run) {
    while (true) {
      ClusterGeneration current = generation;
      Exception failure = null;
      if (current.coordinator.failure() == null) {
        try {
          inFeedJob(description, () -> job.accept(feedPlan(schema, run)));
        } catch (Exception e) {
          failure = e;
        }
        if (failure != null && current.coordinator.failure() == null && cancelled(failure)) {
          // Not SparkTF's own cancel (a node failure is recorded before it): the caller's job
          // group, a notebook's Cancel, or the UI's kill. Nothing will feed this cluster again.
          close();
          throw new TFClusterException(
              "Cannot "
                  + action
                  + ": its Spark job was cancelled ("
                  + rootMessage(failure)
                  + "); the TensorFlow cluster "
                  + current.id
                  + " has been stopped",
              failure);
        }
        if (failure != null && restartsLeft()) {
          // A lost executor fails its feeding tasks before the driver hears that its node died.
          awaitVerdict(current);
        }
        if (current.coordinator.failure() == null) {
          if (failure != null) {
            throw feedFailure(action, failure);
          }
          return;
        }
      }
      if (!restartAfterNodeLoss()) {
        throw failure != null
            ? feedFailure(action, failure)
            : new TFClusterException(current.coordinator.failure());
      }
      if (run >= 0) {
        feedAgainUpTo(run);
        if (restoredPosition.finished(run)) {
          return;
        }
      }
    }
  }

  private synchronized boolean restartsLeft() {
    return restarts < options.restartLimit;
  }

  private static void awaitVerdict(ClusterGeneration generation) {
    try {
      generation.coordinator.awaitFailure(VERDICT_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String feedJobTag(String clusterId) {
    return "sparktf-" + clusterId + "-feed";
  }

  /**
   * Runs a feeding job with this cluster's feed tag, so a node failure cancels it, and with {@code
   * description} in Spark's UI. The caller's job group stays, so cancelling that group cancels the
   * feed too; the caller's description and interrupt setting are restored afterwards.
   */
  private void inFeedJob(String description, Runnable job) {
    SparkContext sc = spark.sparkContext();
    String clusterId = generation.id;
    String tag = feedJobTag(clusterId);
    String callerDescription = sc.getLocalProperty(JOB_DESCRIPTION);
    String callerInterrupt = sc.getLocalProperty(JOB_INTERRUPT_ON_CANCEL);
    boolean tagged = sc.getJobTags().contains(tag);
    sc.addJobTag(tag);
    sc.setJobDescription(description + ", cluster " + clusterId);
    // A feeding task blocked on a worker's socket must stop when its job is cancelled.
    sc.setInterruptOnCancel(true);
    try {
      job.run();
    } finally {
      if (!tagged) {
        sc.removeJobTag(tag);
      }
      sc.setLocalProperty(JOB_DESCRIPTION, callerDescription);
      sc.setLocalProperty(JOB_INTERRUPT_ON_CANCEL, callerInterrupt);
    }
  }

  /** Whether a feeding job failed because Spark cancelled it. */
  private static boolean cancelled(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof org.apache.spark.SparkException && message.contains("cancelled")) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }

  private void requireSparkMode(String action) {
    if (options.inputMode != InputMode.SPARK) {
      throw CoreErrors.wrongMode(action, options.inputMode.name());
    }
    if (shutDown) {
      throw new IllegalStateException("Cannot " + action + ": the cluster has been shut down");
    }
    if (spark.sparkContext().getConf().getBoolean("spark.speculation", false)) {
      throw CoreErrors.speculation(action);
    }
  }

  private FeedPlan feedPlan(FeedSchema schema, int run) {
    ClusterGeneration current = generation;
    List<FeedPlan.Target> workers = new ArrayList<>();
    for (NodeAddress node : current.nodes) {
      if (ClusterLayout.WORKER.equals(layout.job(node.index()))) {
        workers.add(
            new FeedPlan.Target(
                node.index(), layout.describe(node.index()), node.host(), node.feedPort()));
      }
    }
    int feed = feeds.incrementAndGet();
    if (run >= 0) {
      int partitions;
      synchronized (runs) {
        partitions = runs.get(run).partitions;
      }
      current.coordinator.feedTracker().runStarted(feed, run, partitions);
    }
    return new FeedPlan(
        current.id,
        feed,
        current.secret,
        workers,
        schema,
        options.feedTimeout.toMillis(),
        restoredPosition,
        run);
  }

  private TFClusterException feedFailure(String action, Exception e) {
    String failure = generation.coordinator.failure();
    if (failure != null) {
      return new TFClusterException(failure, e);
    }
    return new TFClusterException(
        "Cannot " + action + ": the feeding job failed: " + rootMessage(e), e);
  }

  /** One feeding task: streams its partition to a worker. */
  private static final class FeedPartition
      implements VoidFunction<java.util.Iterator<InternalRow>> {
    private static final long serialVersionUID = 1L;
    private final FeedPlan plan;
    private final LongAccumulator fed;

    FeedPartition(FeedPlan plan, LongAccumulator fed) {
      this.plan = plan;
      this.fed = fed;
    }

    @Override
    public void call(java.util.Iterator<InternalRow> rows) {
      TaskContext task = TaskContext.get();
      long[] count = new long[1];
      java.util.Iterator<InternalRow> counted =
          new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
              return rows.hasNext();
            }

            @Override
            public InternalRow next() {
              count[0]++;
              return rows.next();
            }
          };
      PartitionFeeder.train(
          counted,
          plan,
          task.partitionId(),
          task.attemptNumber(),
          NodeLauncher.localNodes(plan.clusterId()));
      // Spark keeps the count of the successful attempt only.
      fed.add(count[0]);
    }
  }

  /** One inference task: streams its partition through a worker and yields rows with outputs. */
  private static final class InferPartition
      implements FlatMapFunction<java.util.Iterator<InternalRow>, Row> {
    private static final long serialVersionUID = 1L;
    private final FeedPlan plan;
    private final StructType inputSchema;
    private final String[] outputs;

    InferPartition(FeedPlan plan, StructType inputSchema, String[] outputs) {
      this.plan = plan;
      this.inputSchema = inputSchema;
      this.outputs = outputs;
    }

    @Override
    public java.util.Iterator<Row> call(java.util.Iterator<InternalRow> rows) {
      scala.Function1<Object, Object> toRow =
          CatalystTypeConverters.createToScalaConverter(inputSchema);
      TaskContext task = TaskContext.get();
      return PartitionFeeder.infer(
          rows,
          plan,
          task.partitionId(),
          task.attemptNumber(),
          NodeLauncher.localNodes(plan.clusterId()),
          toRow,
          outputs);
    }
  }

  /**
   * Waits until every worker and the evaluator finished its function (in SPARK mode, after telling
   * them the feed has ended), then stops the parameter servers and releases everything. A node lost
   * meanwhile restarts the cluster when restarts are left ({@link Builder#maxRestarts}); in SPARK
   * mode the last epoch of the last {@link #train} is then fed again.
   *
   * @throws TFClusterException when a node failed, or the workers did not finish within the
   *     shutdown timeout
   */
  public synchronized void shutdown() {
    if (shutDown) {
      return;
    }
    shutDown = true;
    Set<Integer> finishers = new TreeSet<>();
    for (int i = 0; i < layout.numNodes(); i++) {
      if (!ClusterLayout.PS.equals(layout.job(i))) {
        finishers.add(i);
      }
    }
    try {
      long deadline = System.nanoTime() + options.shutdownTimeout.toNanos();
      boolean finished;
      do {
        if (options.inputMode == InputMode.SPARK) {
          generation.coordinator.endFeed(finishers);
        }
        long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
        finished = generation.coordinator.awaitDone(finishers, left);
      } while (!finished && restartWhileShuttingDown());
      checkFailure();
      if (!finished) {
        throw CoreErrors.timeout(
            "shut down cluster: the workers did not finish", options.shutdownTimeout.toMillis());
      }
      // Each worker sent its final totals before "done": the profile is complete.
      progress.finish();
      // Parameter-server functions usually return at once; give one that does some work of its
      // own a grace period before its process is stopped.
      Set<Integer> servers = new TreeSet<>();
      for (int i = 0; i < layout.numPs(); i++) {
        servers.add(i);
      }
      if (!generation.coordinator.awaitDone(servers, PS_GRACE_MILLIS)) {
        LOG.warn(
            "Stopping the parameter servers of cluster {} while their function still runs",
            generation.id);
      }
      checkFailure();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TFClusterException("Cannot shut down cluster: interrupted", e);
    } finally {
      generation.release();
      progress.close();
      stopWatching();
    }
    checkFailure();
  }

  /**
   * A node lost while the workers finish: restart, and in SPARK mode feed again what the restored
   * checkpoint does not hold (a worker queues frames ahead of its training, so the last epoch's
   * rows may be lost with it).
   */
  private boolean restartWhileShuttingDown() {
    int trained;
    synchronized (runs) {
      trained = runs.size();
    }
    if (options.inputMode == InputMode.SPARK && trained == 0) {
      return false;
    }
    if (!restartAfterNodeLoss()) {
      return false;
    }
    if (options.inputMode == InputMode.SPARK) {
      feedAgainUpTo(trained);
    }
    return true;
  }

  /**
   * After a node loss, when restarts are left, stops what is left of the cluster and starts every
   * node again on the executors Spark has then. Returns false when the cluster did not fail, or
   * failed in a way a restart would not mend (a node function threw).
   */
  private synchronized boolean restartAfterNodeLoss() {
    ClusterGeneration failed = generation;
    if (!failed.coordinator.failedByNodeLoss() || restarts >= options.restartLimit) {
      return false;
    }
    restarts++;
    String cause = failed.coordinator.failure();
    LOG.warn(
        "Restarting TensorFlow cluster {} (restart {} of {}) after: {}",
        failed.id,
        restarts,
        options.restartLimit,
        cause);
    Set<String> replaced = replaceSilentExecutors(failed);
    failed.release();
    // The restarted nodes restore the newest checkpoint: feed again from its position. When the
    // failed start saved none, that is the checkpoint it restored itself.
    FeedPosition committed =
        failed.coordinator.feedTracker().restoredBy(latestCheckpointOf(failed));
    if (committed != null) {
      restoredPosition = committed;
    }
    try {
      long timeout = options.reservationTimeout.toMillis();
      executorWatch.awaitRemoved(replaced, timeout);
      // The lost executor's replacement registers with the driver over time.
      ClusterGeneration.awaitExecutors(spark.sparkContext(), layout.numNodes(), timeout);
      options.preflight(layout);
      Set<String> fenced;
      synchronized (usedAddresses) {
        fenced = new LinkedHashSet<>(usedAddresses);
      }
      adopt(
          ClusterGeneration.start(
              spark.sparkContext(),
              options,
              layout,
              function,
              baseId + "-r" + restarts,
              fenced,
              restoredPosition));
    } catch (TFClusterException e) {
      throw CoreErrors.restartFailed(cause, e);
    }
    return true;
  }

  /**
   * The step of the newest checkpoint in the model directory when {@code failed} saved it: the one
   * the restarted nodes restore, even when the node loss came before the chief confirmed its save.
   * Empty when nothing is fed (InputMode.TENSORFLOW), there is no model directory, the newest is
   * another start's, or it cannot be read.
   */
  private OptionalLong latestCheckpointOf(ClusterGeneration failed) {
    if (options.inputMode != InputMode.SPARK || options.modelDir == null) {
      return OptionalLong.empty();
    }
    try {
      Optional<CheckpointStore.Id> latest =
          new CheckpointStore(spark.sparkContext().hadoopConfiguration(), options.modelDir)
              .latest();
      return latest.isPresent() && latest.get().generation() == failed.number
          ? OptionalLong.of(latest.get().step())
          : OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Cannot read the checkpoints of {} ({}): cluster {} feeds again from the position of its"
              + " newest checkpoint whose save the chief confirmed",
          options.modelDir,
          e.toString(),
          failed.id);
      return OptionalLong.empty();
    }
  }

  /**
   * Asks Spark to kill and replace the executors of nodes that fell silent: a frozen executor still
   * holds a task slot the restarted cluster needs, and Spark itself notices it only after {@code
   * spark.network.timeout}. Returns the executors it asked for.
   */
  private Set<String> replaceSilentExecutors(ClusterGeneration failed) {
    Set<String> replaced = new LinkedHashSet<>();
    for (String executorId : failed.coordinator.silentExecutors()) {
      // In local mode the nodes are the driver's children; their supervision stops them.
      if (!"driver".equals(executorId) && !executorWatch.removed(executorId)) {
        LOG.warn("Asking Spark to replace executor {}, whose node fell silent", executorId);
        // Not the public killExecutor(): that lowers the application's executor target, so no
        // replacement would come. This is what Spark's own exclusion of a bad executor uses.
        spark.sparkContext().killAndReplaceExecutor(executorId);
        replaced.add(executorId);
      }
    }
    return replaced;
  }

  /** Shuts the cluster down if that has not happened, killing whatever still runs. */
  @Override
  public synchronized void close() {
    if (!shutDown) {
      shutDown = true;
      generation.release();
    }
    progress.close();
    stopWatching();
  }

  private synchronized void stopWatching() {
    if (watching) {
      watching = false;
      spark.sparkContext().removeSparkListener(executorWatch);
    }
  }

  /**
   * Spark's executor-lost events: a node on a removed executor is lost at once, without waiting for
   * its silence to reach the liveness timeout.
   */
  private final class ExecutorWatch extends SparkListener {
    private final Set<String> removed = ConcurrentHashMap.newKeySet();

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved event) {
      removed.add(event.executorId());
      generation.coordinator.executorLost(event.executorId(), event.reason());
      synchronized (this) {
        notifyAll();
      }
    }

    boolean removed(String executorId) {
      return removed.contains(executorId);
    }

    /** Waits until Spark removed every executor of {@code executorIds}; false on timeout. */
    synchronized boolean awaitRemoved(Set<String> executorIds, long timeoutMillis) {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
      while (!removed.containsAll(executorIds)) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return false;
        }
        try {
          wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  private void checkFailure() {
    String failure = generation.coordinator.failure();
    if (failure != null) {
      throw new TFClusterException(failure);
    }
  }

  /** Options of a cluster; {@link #run} starts it. */
  public static final class Builder {
    private final SparkSession spark;
    private int numExecutors = -1;
    private int numPs;
    private boolean evaluator;
    InputMode inputMode = InputMode.SPARK;
    String modelDir;
    Duration reservationTimeout = Duration.ofMinutes(10);
    Duration feedTimeout = Duration.ofMinutes(10);
    private Duration shutdownTimeout = Duration.ofDays(3);
    private Duration nodeLivenessTimeout;
    List<String> nodeJavaOptions = List.of("-Xmx1g");
    private int maxRestarts = -1; // -1: not set here, the Spark conf decides
    int restartLimit; // what run() resolved
    private PortRange portRange;
    private Duration progressInterval;
    private int interOpThreads = -1; // -1: not set here, the Spark conf decides
    private int intraOpThreads = -1;

    private Builder(SparkSession spark) {
      this.spark = spark;
    }

    /** The number of TensorFlow nodes, one per executor. Required. */
    public Builder numExecutors(int numExecutors) {
      this.numExecutors = numExecutors;
      return this;
    }

    /** The number of parameter-server nodes, taken first. Default: 0. */
    public Builder numPs(int numPs) {
      this.numPs = numPs;
      return this;
    }

    /** Whether the last node is an evaluator. Default: false. */
    public Builder evaluator(boolean evaluator) {
      this.evaluator = evaluator;
      return this;
    }

    /** How data reaches the workers. Default: SPARK. */
    public Builder inputMode(InputMode inputMode) {
      this.inputMode = inputMode;
      return this;
    }

    /** The model directory, a Hadoop FileSystem URI. Default: none. */
    public Builder modelDir(String modelDir) {
      this.modelDir = modelDir;
      return this;
    }

    /** How long every node may take to register. Default: 10 minutes. */
    public Builder reservationTimeout(Duration timeout) {
      this.reservationTimeout = positive("reservationTimeout", timeout);
      return this;
    }

    /** How long a feeding task may wait for a worker to take a batch. Default: 10 minutes. */
    public Builder feedTimeout(Duration timeout) {
      this.feedTimeout = positive("feedTimeout", timeout);
      return this;
    }

    /** How long {@link TFCluster#shutdown()} waits for the workers. Default: 3 days. */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive("shutdownTimeout", timeout);
      return this;
    }

    /**
     * How many times the cluster may restart after losing a node. When a node's process or executor
     * dies, SparkTF stops the other nodes and starts all of them again on the executors Spark then
     * has (a lost executor's replacement included): in InputMode.TENSORFLOW while {@link
     * TFCluster#shutdown()} waits, in InputMode.SPARK during {@link TFCluster#train} (which feeds
     * the interrupted epoch again; the last one when the loss comes during shutdown) or {@link
     * TFCluster#inference} (which runs again). The node functions should resume from the latest
     * checkpoint, as {@link ReplicatedTraining#begin} does. A node function that throws is never
     * restarted: it would throw again. Default: the Spark conf key {@value
     * TFCluster#MAX_RESTARTS_KEY}, else 0.
     */
    public Builder maxRestarts(int maxRestarts) {
      if (maxRestarts < 0) {
        throw new IllegalArgumentException(
            "Invalid maxRestarts: " + maxRestarts + "; it must be >= 0");
      }
      this.maxRestarts = maxRestarts;
      return this;
    }

    /**
     * The TCP ports SparkTF listens on, {@code from} to {@code to} inclusive, so a firewall can let
     * exactly these through between the cluster's hosts: each node's TensorFlow gRPC server and
     * feed endpoint (on its executor's host) and the driver's coordinator each take a free port of
     * the range. Every node needs up to two ports on its host (more while a restart replaces a
     * generation), so size the range for the nodes one host runs. When not set here, the Spark
     * configuration {@code spark.sparktf.ports=FROM-TO} applies; this setting takes precedence over
     * it. Default: any free ephemeral port. See docs/security.md.
     *
     * @throws IllegalArgumentException unless 1 <= from <= to <= 65535
     */
    public Builder portRange(int from, int to) {
      this.portRange = PortRange.of(from, to);
      return this;
    }

    /**
     * How long a node's process or its executor may stay silent before the node counts as lost.
     * Nodes, executors and the driver exchange heartbeats every quarter of this time; a frozen
     * process, a powered-off host or a network partition ends them. A lost node restarts the
     * cluster ({@link #maxRestarts}) or fails it with an error naming the node, its executor and
     * host, and how long it was silent; the silent executor is replaced before a restart. A node
     * that hears nothing from the driver for this long exits on its own. Default: the Spark conf
     * key {@value TFCluster#LIVENESS_TIMEOUT_KEY}, else {@code spark.network.timeout} (120 s),
     * which is also how long Spark waits for a silent executor.
     */
    public Builder nodeLivenessTimeout(Duration timeout) {
      this.nodeLivenessTimeout = positive("nodeLivenessTimeout", timeout);
      return this;
    }

    /**
     * How often the driver logs the training progress at INFO while {@link TFCluster#train}, or the
     * workers' steps, run (epoch, rows fed of all, global step, latest loss, examples/s and the
     * time left when known) and calls the {@link ProgressListener}s; {@link Duration#ZERO} logs
     * nothing (listeners then hear only of epoch ends and the finish). When not set here, the Spark
     * conf key {@value TFCluster#PROGRESS_INTERVAL_KEY} applies. Default: 10 seconds.
     */
    public Builder progressInterval(Duration interval) {
      if (interval == null || interval.isNegative()) {
        throw new IllegalArgumentException(
            "Invalid progressInterval: " + interval + "; use zero for none or a positive duration");
      }
      this.progressInterval = interval;
      return this;
    }

    /** The progress interval: set on the builder, else from the Spark conf. */
    Duration progressInterval(SparkContext sc) {
      if (progressInterval != null) {
        return progressInterval;
      }
      long millis = sc.getConf().getTimeAsMs(PROGRESS_INTERVAL_KEY, "10s");
      if (millis < 0) {
        throw new IllegalArgumentException(
            "Invalid " + PROGRESS_INTERVAL_KEY + ": " + millis + " ms; use 0 for none or more");
      }
      return Duration.ofMillis(millis);
    }

    /** The liveness timeout: set on the builder, else from the Spark conf. */
    Duration livenessTimeout(SparkContext sc) {
      if (nodeLivenessTimeout != null) {
        return nodeLivenessTimeout;
      }
      SparkConf conf = sc.getConf();
      long networkTimeout = conf.getTimeAsMs("spark.network.timeout", "120s");
      long millis = conf.getTimeAsMs(LIVENESS_TIMEOUT_KEY, networkTimeout + "ms");
      if (millis <= 0) {
        throw new IllegalArgumentException(
            "Invalid " + LIVENESS_TIMEOUT_KEY + ": " + millis + " ms; it must be positive");
      }
      return Duration.ofMillis(millis);
    }

    /** The restart limit: set on the builder, else from the Spark conf, else 0. */
    int restartLimit(SparkConf conf) {
      if (maxRestarts >= 0) {
        return maxRestarts;
      }
      return nonNegative(conf, MAX_RESTARTS_KEY, "it must be an integer >= 0");
    }

    /**
     * The integer at {@code key} of the Spark conf, 0 when not set.
     *
     * @throws IllegalArgumentException saying {@code fix} when it is negative or not an integer
     */
    private static int nonNegative(SparkConf conf, String key, String fix) {
      String value = conf.get(key, "0").trim();
      try {
        int number = Integer.parseInt(value);
        if (number >= 0) {
          return number;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException("Invalid " + key + ": '" + value + "'; " + fix);
    }

    /**
     * The size of every node's TensorFlow inter-op thread pool, which runs independent ops of a
     * step side by side; 0 lets TensorFlow size it to all the machine's cores, in each node process
     * (PS, worker, chief and evaluator alike). On an executor with a few cores, or with several
     * nodes on a host, that oversubscribes the CPU: then set this and {@link #intraOpThreads} to
     * about the executor's cores (1 each gave the lowest CPU per step on a 2-core host, see
     * docs/benchmarks.md). When not set here, the Spark conf key {@value
     * TFCluster#INTER_OP_THREADS_KEY} applies; this setting takes precedence over it. Default: 0
     * (TensorFlow's own sizing).
     *
     * @throws IllegalArgumentException when {@code threads} is negative
     */
    public Builder interOpThreads(int threads) {
      this.interOpThreads = threads("interOpThreads", threads);
      return this;
    }

    /**
     * The size of every node's TensorFlow intra-op thread pool, which splits one op's work (a
     * matrix multiply, a large gather) across threads; 0 lets TensorFlow size it to all the
     * machine's cores, in each node process. See {@link #interOpThreads}. When not set here, the
     * Spark conf key {@value TFCluster#INTRA_OP_THREADS_KEY} applies; this setting takes precedence
     * over it. Default: 0 (TensorFlow's own sizing).
     *
     * @throws IllegalArgumentException when {@code threads} is negative
     */
    public Builder intraOpThreads(int threads) {
      this.intraOpThreads = threads("intraOpThreads", threads);
      return this;
    }

    private static final String THREADS_FIX =
        "use 0 for TensorFlow's own sizing (all cores) or a positive thread count";

    private static int threads(String name, int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("Invalid " + name + ": " + threads + "; " + THREADS_FIX);
      }
      return threads;
    }

    /** The nodes' thread pools: each size set on the builder, else from the Spark conf, else 0. */
    ThreadPools threadPools(SparkConf conf) {
      return new ThreadPools(
          interOpThreads >= 0
              ? interOpThreads
              : nonNegative(conf, INTER_OP_THREADS_KEY, THREADS_FIX),
          intraOpThreads >= 0
              ? intraOpThreads
              : nonNegative(conf, INTRA_OP_THREADS_KEY, THREADS_FIX));
    }

    /** JVM options of the node processes. Default: -Xmx1g. */
    public Builder nodeJavaOptions(String... options) {
      this.nodeJavaOptions = List.of(options);
      return this;
    }

    /**
     * Starts one node per executor running {@code function} and returns once every node has
     * registered and the TensorFlow cluster is complete.
     *
     * @throws TFClusterException when a preflight check fails, a node fails to start, or the nodes
     *     did not all register within the reservation timeout
     */
    public TFCluster run(NodeFunction function) {
      if (numExecutors < 1) {
        throw new IllegalArgumentException(
            "Invalid numExecutors: " + numExecutors + "; set numExecutors(n) with n >= 1");
      }
      ClusterLayout layout = new ClusterLayout(numExecutors, numPs, evaluator);
      ports();
      threadPools(spark.sparkContext().getConf());
      byte[] functionBytes = serialize(function);
      preflight(layout);
      String clusterId = UUID.randomUUID().toString().substring(0, 8);
      livenessTimeout(spark.sparkContext());
      progressInterval(spark.sparkContext());
      restartLimit = restartLimit(spark.sparkContext().getConf());
      ClusterGeneration generation =
          ClusterGeneration.start(
              spark.sparkContext(),
              this,
              layout,
              functionBytes,
              clusterId,
              Set.of(),
              FeedPosition.START);
      return new TFCluster(spark, this, layout, functionBytes, clusterId, generation);
    }

    void preflight(ClusterLayout layout) {
      try {
        org.tensorflow.TensorFlow.version();
      } catch (Throwable t) {
        throw CoreErrors.nativeLibrary(t);
      }
      SparkConf conf = spark.sparkContext().getConf();
      if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
        throw CoreErrors.dynamicAllocation();
      }
      // Executors register as the cluster manager grants them: as long as the nodes may take.
      SlotCounter.require(spark.sparkContext(), layout.numNodes(), reservationTimeout.toMillis());
    }

    /**
     * The ports the cluster listens on: {@link #portRange} when set, else {@code
     * spark.sparktf.ports}, else any.
     *
     * @throws IllegalArgumentException when the Spark setting is not a valid range
     */
    PortRange ports() {
      if (portRange != null) {
        return portRange;
      }
      String conf = spark.sparkContext().getConf().get(PortRange.CONF_KEY, null);
      return conf == null ? PortRange.ANY : PortRange.parse(conf);
    }

    private static Duration positive(String name, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(
            "Invalid " + name + ": " + value + "; it must be positive");
      }
      return value;
    }
  }

  private static byte[] serialize(NodeFunction function) {
    if (function == null) {
      throw new IllegalArgumentException("Invalid node function: null");
    }
    try {
      return ClosureSerializer.serialize(function);
    } catch (IOException e) {
      throw CoreErrors.notSerializable(e);
    }
  }
}
