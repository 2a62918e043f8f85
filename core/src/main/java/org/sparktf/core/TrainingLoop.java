package org.sparktf.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.BatchSource.Batch;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;

/**
 * The training loop of a worker, written once: begin (the chief restores the latest checkpoint or
 * initializes, the other workers wait for it), steps until a stopping rule holds, checkpoints and
 * summaries on the chief, {@link ReplicatedTraining#finish}, the chief's final checkpoint, and its
 * export. A node function builds the graph and the {@link ReplicatedTraining} and says only what
 * differs: where the batches come from and what to do along the way.
 *
 * <pre>{@code
 * if (!ctx.jobName().equals("worker")) return;
 * try (Graph graph = new Graph()) {
 *   ... build the model, then ReplicatedTraining training = ReplicatedTraining.asynchronous(...);
 *   TrainingLoop.builder(ctx, training)
 *       .data(BatchSource.feed(ctx.dataFeed(), 100, rows -> Batch.of(Map.of(
 *           x, rows.float32("x"), y, rows.int64("y")))))
 *       .maxSteps(10_000)
 *       .exportSavedModel(exportDir, tf -> servingSignature(tf))
 *       .build()
 *       .run(graph);
 * }
 * }</pre>
 *
 * <p>It stops at the first of: the global step reached {@link Builder#maxSteps}, the data of the
 * last epoch ended, or {@link Builder#maxTime} passed. In synchronous training every worker must
 * run the same number of steps, so stop it by steps or by data of equal size on every worker, not
 * by time.
 */
public final class TrainingLoop {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

  /** Code the loop runs with the training session, at the global step given. */
  @FunctionalInterface
  public interface Hook {
    void run(Session session, long globalStep) throws Exception;
  }

  /** Code the loop runs after each complete epoch. */
  @FunctionalInterface
  public interface EpochHook {
    /**
     * @param epoch the epoch that ended, from 0
     */
    void run(Session session, int epoch, long globalStep) throws Exception;
  }

  /** Opens the data of one epoch; the loop closes the source at the end of the epoch. */
  @FunctionalInterface
  public interface EpochData {
    /**
     * @param epoch from 0
     */
    BatchSource open(int epoch) throws Exception;
  }

  /**
   * Builds a serving graph into {@code tf}: the model's variables under their training names, with
   * no devices and no label, and returns its signature.
   */
  @FunctionalInterface
  public interface ServingGraph {
    Signature build(Ops tf);
  }

  /** What the chief does after training, once the training session is closed. */
  @FunctionalInterface
  public interface Export {
    /**
     * @param globalStep the final global step, that of the last checkpoint
     */
    void run(NodeContext ctx, long globalStep) throws Exception;
  }

  private final NodeContext ctx;
  private final ReplicatedTraining training;
  private final EpochData data;
  private final int epochs;
  private final long maxSteps;
  private final Duration maxTime;
  private final long checkpointSteps;
  private final long checkpointSeconds;
  private final int keepCheckpoints;
  private final int summaryEvery;
  private final boolean summariesSet;
  private final Duration logEvery;
  private final Duration beginTimeout;
  private final Duration finishTimeout;
  private final Hook onBegin;
  private final List<Periodic> periodic;
  private final EpochHook onEpochEnd;
  private final Hook onFinish;
  private final Export export;

  private TrainingLoop(Builder b) {
    this.ctx = b.ctx;
    this.training = b.training;
    this.data = b.data;
    this.epochs = b.epochs;
    this.maxSteps = b.maxSteps;
    this.maxTime = b.maxTime;
    this.checkpointSteps = b.checkpointSteps;
    this.checkpointSeconds = b.checkpointSeconds;
    this.keepCheckpoints = b.keepCheckpoints;
    this.summaryEvery = b.summaryEvery;
    this.summariesSet = b.summariesSet;
    this.logEvery = b.logEvery;
    this.beginTimeout = b.beginTimeout;
    this.finishTimeout = b.finishTimeout;
    this.onBegin = b.onBegin;
    this.periodic = List.copyOf(b.periodic);
    this.onEpochEnd = b.onEpochEnd;
    this.onFinish = b.onFinish;
    this.export = b.export;
  }

  /** A loop for {@code training} on this worker; set its data with {@link Builder#data}. */
  public static Builder builder(NodeContext ctx, ReplicatedTraining training) {
    return new Builder(ctx, training);
  }

  /**
   * Trains in a session of {@code graph} (the graph {@code training} was built in), then closes the
   * session and, on the chief, exports. Returns the final global step.
   *
   * @throws IllegalStateException if this node is not a worker, or an export is set and the cluster
   *     has no model directory
   * @throws Exception what the data, a hook or the export threw
   */
  public long run(Graph graph) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      throw new IllegalStateException(
          "Cannot run the training loop on "
              + ctx.jobName()
              + ":"
              + ctx.taskIndex()
              + ": only workers train; return from the node function first when ctx.jobName() is"
              + " not \"worker\"");
    }
    if (export != null && ctx.modelDir() == null) {
      throw new IllegalStateException(
          "Cannot export: the cluster has no model directory to keep the checkpoint the export"
              + " restores; set TFCluster.Builder.modelDir");
    }
    if (summaryEvery > 0 && ctx.modelDir() != null) {
      training.summaries(training.loss(), summaryEvery);
    } else if (summaryEvery > 0 && summariesSet) {
      throw new IllegalStateException(
          "Cannot write summaries every "
              + summaryEvery
              + " steps: the cluster has no model directory to write them to; set"
              + " TFCluster.Builder.modelDir or summaryEvery(0)");
    } else {
      training.noSummaries();
    }
    boolean chief = ctx.isChief();
    Checkpoints checkpoints =
        chief && ctx.modelDir() != null
            ? Checkpoints.every(checkpointSteps, checkpointSeconds, keepCheckpoints)
            : null;
    long step;
    try (Session session = ctx.session(graph)) {
      step = training.begin(session, beginTimeout);
      // The checkpoint begin restored, if any: saving that step again would only copy it.
      long saved =
          checkpoints == null
              ? -1
              : Checkpoints.latestStep(ctx.hadoopConf(), ctx.modelDir()).orElse(-1);
      Progress progress = new Progress(step);
      if (onBegin != null) {
        onBegin.run(session, step);
      }
      for (Periodic p : periodic) {
        p.last = step;
      }
      String stoppedBy = null;
      ctx.reportTargetStep(maxSteps);
      for (int epoch = 0; epoch < epochs && stoppedBy == null; epoch++) {
        try (BatchSource source = data.open(epoch)) {
          while ((stoppedBy = stopRule(step, progress)) == null) {
            long waitStart = System.nanoTime();
            Optional<Batch> next = source.next();
            long waited = System.nanoTime() - waitStart;
            if (next.isEmpty()) {
              break;
            }
            try (Batch batch = next.get()) {
              long stepStart = System.nanoTime();
              step = training.step(session, batch.feeds());
              ctx.reportStep(
                  step,
                  training.lastLoss(),
                  examples(batch),
                  System.nanoTime() - stepStart,
                  waited);
            }
            progress.stepped(step);
            if (checkpoints != null && checkpoints.maybeSave(ctx, session, step)) {
              saved = step;
            }
            for (Periodic p : periodic) {
              p.maybeRun(session, step);
            }
          }
          if (stoppedBy != null) {
            source.stopEarly();
          }
        }
        if (stoppedBy == null && onEpochEnd != null) {
          onEpochEnd.run(session, epoch, step);
        }
      }
      step = training.finish(session, finishTimeout);
      if (checkpoints != null && saved != step) {
        checkpoints.save(ctx, session, step);
      }
      progress.finished(step, stoppedBy == null ? "the end of the data" : stoppedBy);
      if (onFinish != null) {
        onFinish.run(session, step);
      }
    }
    if (chief && export != null) {
      export.run(ctx, step);
    }
    return step;
  }

  /** Builds the serving graph, restores the latest checkpoint into it and exports it. */
  private static void exportFromCheckpoint(
      NodeContext ctx, String exportDir, List<String> tags, ServingGraph serving) {
    try (Graph graph = new Graph()) {
      Signature signature = serving.build(Ops.create(graph));
      try (Session session = new Session(graph)) {
        Checkpoints.restoreLatest(ctx, session);
        SavedModels.export(session, ctx.hadoopConf(), exportDir, ctx.localDir(), tags, signature);
      }
    }
  }

  /** The examples of a batch: the first dimension of its feeds (1 for scalar feeds). */
  private static long examples(Batch batch) {
    for (org.tensorflow.Tensor t : batch.feeds().values()) {
      return t.shape().numDimensions() == 0 ? 1 : Math.max(0, t.shape().size(0));
    }
    return 0;
  }

  /** Why the loop stops before the next step, or null to go on. */
  private String stopRule(long step, Progress progress) {
    if (maxSteps > 0 && step >= maxSteps) {
      return "the step limit of " + maxSteps;
    }
    if (maxTime != null && System.nanoTime() - progress.startNanos >= maxTime.toNanos()) {
      return "the time limit of " + maxTime.toSeconds() + " s";
    }
    return null;
  }

  /** Logs where training is, at most once per {@link #logEvery}. */
  private final class Progress {
    final long startNanos = System.nanoTime();
    long localSteps;
    long lastLogNanos = startNanos;

    Progress(long begin) {
      LOG.info(
          "Worker {} begins training at global step {}{}",
          ctx.taskIndex(),
          begin,
          maxSteps > 0 ? " of " + maxSteps : "");
    }

    void stepped(long step) {
      localSteps++;
      long now = System.nanoTime();
      if (now - lastLogNanos >= logEvery.toNanos()) {
        LOG.info(
            "Worker {}: global step {}, {} steps here, {} steps/s here",
            ctx.taskIndex(),
            step,
            localSteps,
            String.format("%.1f", localSteps * 1e9 / (now - startNanos)));
        lastLogNanos = now;
      }
    }

    void finished(long step, String stoppedBy) {
      LOG.info(
          "Worker {} finished training at global step {} after {} steps here in {} s, stopped by"
              + " {}",
          ctx.taskIndex(),
          step,
          localSteps,
          (System.nanoTime() - startNanos) / 1_000_000_000L,
          stoppedBy);
    }
  }

  /** A hook run whenever {@code every} global steps passed since its last run. */
  private static final class Periodic {
    final long every;
    final Hook hook;
    long last;

    Periodic(long every, Hook hook) {
      this.every = every;
      this.hook = hook;
    }

    void maybeRun(Session session, long step) throws Exception {
      if (step - last >= every) {
        hook.run(session, step);
        last = step;
      }
    }
  }

  /** The settings of a {@link TrainingLoop}; only the data is required. */
  public static final class Builder {
    private final NodeContext ctx;
    private final ReplicatedTraining training;
    private EpochData data;
    private int epochs = 1;
    private long maxSteps;
    private Duration maxTime;
    private long checkpointSteps;
    private long checkpointSeconds = 600;
    private int keepCheckpoints = 3;
    private int summaryEvery = 100;
    private boolean summariesSet;
    private Duration logEvery = Duration.ofSeconds(60);
    private Duration beginTimeout = Duration.ofMinutes(10);
    private Duration finishTimeout = Duration.ofMinutes(10);
    private Hook onBegin;
    private final List<Periodic> periodic = new ArrayList<>();
    private EpochHook onEpochEnd;
    private Hook onFinish;
    private Export export;

    private Builder(NodeContext ctx, ReplicatedTraining training) {
      if (ctx == null || training == null) {
        throw new IllegalArgumentException(
            "Invalid training loop: the node context and the ReplicatedTraining are required");
      }
      this.ctx = ctx;
      this.training = training;
    }

    /**
     * Trains on {@code source} once (for {@link InputMode#SPARK}, where the driver's {@code
     * TFCluster.train(df, epochs)} decides the epochs).
     */
    public Builder data(BatchSource source) {
      if (source == null) {
        throw new IllegalArgumentException("Invalid training data: null");
      }
      this.data = epoch -> source;
      this.epochs = 1;
      return this;
    }

    /**
     * Trains for {@code epochs} passes, each over a source {@code data} opens for it, such as this
     * worker's TFRecord files ({@link BatchSource#records}).
     */
    public Builder data(int epochs, EpochData data) {
      if (epochs < 1 || data == null) {
        throw new IllegalArgumentException(
            "Invalid training data: " + epochs + " epoch(s); give at least 1 and a data opener");
      }
      this.data = data;
      this.epochs = epochs;
      return this;
    }

    /**
     * Stops once the global step reached {@code steps}, even in the middle of an epoch; a restarted
     * cluster resumes towards the same step. 0: no step limit. Default: 0.
     */
    public Builder maxSteps(long steps) {
      if (steps < 0) {
        throw new IllegalArgumentException(
            "Invalid step limit: " + steps + "; use 0 for none or a positive step");
      }
      this.maxSteps = steps;
      return this;
    }

    /**
     * Stops taking steps once {@code time} passed since training began on this worker. Null: no
     * time limit. Default: null.
     */
    public Builder maxTime(Duration time) {
      if (time != null && (time.isNegative() || time.isZero())) {
        throw new IllegalArgumentException(
            "Invalid time limit: " + time + "; use null for none or a positive duration");
      }
      this.maxTime = time;
      return this;
    }

    /**
     * The chief checkpoints to the model directory when {@code everySteps} global steps or {@code
     * everySeconds} seconds passed since its last checkpoint (0 turns either off), keeps the newest
     * {@code keep}, and always saves the final step. Default: every 600 seconds, keep 3.
     */
    public Builder checkpoints(long everySteps, long everySeconds, int keep) {
      Checkpoints.every(everySteps, everySeconds, keep); // validates
      this.checkpointSteps = everySteps;
      this.checkpointSeconds = everySeconds;
      this.keepCheckpoints = keep;
      return this;
    }

    /**
     * The chief writes the loss and global_step/sec for TensorBoard every {@code everySteps} global
     * steps (see {@link ReplicatedTraining#summaries}, whose setting this replaces); 0 writes none.
     * The cluster needs a model directory for them. Default: 100 when the cluster has a model
     * directory, else 0.
     */
    public Builder summaryEvery(int everySteps) {
      if (everySteps < 0) {
        throw new IllegalArgumentException(
            "Invalid summary interval: " + everySteps + "; use 0 for none or a positive count");
      }
      this.summaryEvery = everySteps;
      this.summariesSet = true;
      return this;
    }

    /** How often each worker logs its global step and speed at INFO. Default: 60 seconds. */
    public Builder logEvery(Duration interval) {
      this.logEvery = positive(interval, "log interval");
      return this;
    }

    /**
     * How long a worker other than the chief waits at the start for the chief to initialize or
     * restore the variables ({@link ReplicatedTraining#begin}). Default: 10 minutes.
     */
    public Builder beginTimeout(Duration timeout) {
      this.beginTimeout = positive(timeout, "begin timeout");
      return this;
    }

    /**
     * How long the chief waits at the end for the other workers' last updates ({@link
     * ReplicatedTraining#finish}). Default: 10 minutes.
     */
    public Builder finishTimeout(Duration timeout) {
      this.finishTimeout = positive(timeout, "finish timeout");
      return this;
    }

    /**
     * Runs {@code hook} on every worker after begin, at the global step training starts from.
     * Default: none.
     */
    public Builder onBegin(Hook hook) {
      this.onBegin = hook;
      return this;
    }

    /**
     * Runs {@code hook} on every worker after a step whenever {@code everySteps} global steps
     * passed since its last run (or since begin); for example a periodic evaluation on the chief
     * (check {@link NodeContext#isChief()} inside). May be called more than once. Default: none.
     */
    public Builder every(long everySteps, Hook hook) {
      if (everySteps < 1 || hook == null) {
        throw new IllegalArgumentException(
            "Invalid periodic hook: every " + everySteps + " steps; use >= 1 and a hook");
      }
      periodic.add(new Periodic(everySteps, hook));
      return this;
    }

    /** Runs {@code hook} on every worker after each epoch whose data ended. Default: none. */
    public Builder onEpochEnd(EpochHook hook) {
      this.onEpochEnd = hook;
      return this;
    }

    /**
     * Runs {@code hook} on every worker at the end, with the session still open: after {@link
     * ReplicatedTraining#finish} and the chief's final checkpoint, at the final global step.
     * Default: none.
     */
    public Builder onFinish(Hook hook) {
      this.onFinish = hook;
      return this;
    }

    /**
     * The chief exports a SavedModel at {@code exportDir} (which must not exist): it builds the
     * serving graph in a graph of its own, restores the final checkpoint into it and exports it
     * with the signature {@code serving} returns. Default: no export.
     */
    public Builder exportSavedModel(String exportDir, ServingGraph serving) {
      return exportSavedModel(step -> exportDir, serving);
    }

    /** Like {@link #exportSavedModel(String, ServingGraph)}, in a directory named by final step. */
    public Builder exportSavedModel(LongFunction<String> exportDir, ServingGraph serving) {
      return exportSavedModel(exportDir, List.of(SavedModelBundle.DEFAULT_TAG), serving);
    }

    /**
     * Like {@link #exportSavedModel(LongFunction, ServingGraph)}, its meta graph tagged with {@code
     * tags} instead of {@code serve} (a loader must ask for exactly this set).
     */
    public Builder exportSavedModel(
        LongFunction<String> exportDir, List<String> tags, ServingGraph serving) {
      if (exportDir == null || serving == null || tags == null) {
        throw new IllegalArgumentException(
            "Invalid export: the export directory, the tags and the serving graph are required");
      }
      List<String> fixed = List.copyOf(tags);
      return export(
          (ctx, step) -> exportFromCheckpoint(ctx, exportDir.apply(step), fixed, serving));
    }

    /**
     * The chief runs {@code export} at the end, once the training session is closed; replaces any
     * export set before. Default: none.
     */
    public Builder export(Export export) {
      this.export = export;
      return this;
    }

    /**
     * The loop.
     *
     * @throws IllegalStateException if no data was set
     */
    public TrainingLoop build() {
      if (data == null) {
        throw new IllegalStateException(
            "Cannot build the training loop: no data; set it with data(...)");
      }
      return new TrainingLoop(this);
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("Invalid " + what + ": " + d + "; it must be positive");
      }
      return d;
    }
  }
}
