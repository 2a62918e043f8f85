package org.sparktf.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.internal.StepRateMeter;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.train.ConditionalAccumulator;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Between-graph replicated training: every worker builds the same graph with its variables on the
 * parameter servers ({@link NodeContext#variableDevice}) and calls {@link #step} in a loop.
 *
 * <ul>
 *   <li><b>Asynchronous</b>: each worker applies its own gradients to the shared variables as soon
 *       as it has them.
 *   <li><b>Synchronous</b>: each worker adds its gradients to conditional accumulators on the
 *       parameter servers; the chief takes their average once every worker contributed, applies it
 *       once, advances the global step, and releases the other workers with a token. Every worker
 *       must therefore run the same number of steps; a worker that stops early makes the others
 *       fail after the sync timeout instead of hanging.
 * </ul>
 *
 * <p>Tables read through {@link SparseLookup}s and handed to the factories that take a {@link
 * SparseOptimizer} get sparse updates: only the looked-up rows' gradients cross the network. The
 * rows of a {@link ShardedTable} go to the shard that owns them: the worker sums a table's repeated
 * ids, splits the ids and their summed rows by shard, and each shard applies its part on its own
 * device, where its slot variables live; in synchronous mode each shard has its own queue.
 *
 * <p>Build it after the model and before any other variable, so the optimizer trains exactly the
 * model's variables. It adds an int64 {@code global_step} variable on the first parameter server.
 *
 * <p>Every worker calls {@link #finish} after its last step, before the chief writes its final
 * checkpoint or export: otherwise a chief that runs ahead would save the model without the updates
 * the other workers are still making.
 */
public final class ReplicatedTraining {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedTraining.class);

  /**
   * How many times in a row an asynchronous step runs when TensorFlow's gRPC runtime aborts it as a
   * duplicate request (see {@link #abortedDuplicate}) before the step fails.
   */
  static final int MAX_ABORTED_RUNS = 3;

  /** How a step's session runs are run: {@link Session.Runner#run}, or a test's wrapper of it. */
  @FunctionalInterface
  interface StepRun {
    Result run(Session.Runner runner);
  }

  private final NodeContext ctx;
  private final Graph graph;
  private final boolean synchronous;
  private final Variable<TInt64> globalStep;
  private final Operand<TInt64> readStep;
  private final Duration syncTimeout;
  private final Operand<?> loss;
  private final int stepsPerRun;
  // Tables of more than one shard: the saver installed in begin writes them as logical tables.
  private final List<ShardedTable> shardedTables;
  // Asynchronous.
  private Operand<TInt64> applyAndCount;
  // Synchronous.
  private Placeholder<TInt64> localStep;
  private final List<Op> contribute = new ArrayList<>();
  private Operand<TInt64> chiefUpdate;
  private final List<Op> chiefRelease = new ArrayList<>();
  private Operand<TInt64> awaitToken;
  private long currentStep;
  private double lastLoss = Double.NaN;
  private Operand<?> summaryLoss;
  private int summaryEvery;
  private long lastSummaryStep = -1;
  private final StepRateMeter stepRate = new StepRateMeter();
  private StepRun stepRun = Session.Runner::run;
  // Workers other than the chief enqueue their task index here when they finish; null when the
  // variables are not shared (no parameter server) or there is a single worker.
  private Op reportFinished;
  private Placeholder<TInt64> finishedTask;
  private Operand<TInt64> awaitFinished;

  private ReplicatedTraining(
      NodeContext ctx,
      Graph graph,
      Optimizer optimizer,
      SparseOptimizer sparseOptimizer,
      List<SparseLookup> lookups,
      Operand<?> loss,
      boolean synchronous,
      Duration syncTimeout) {
    this.ctx = ctx;
    this.graph = graph;
    this.synchronous = synchronous;
    this.syncTimeout = syncTimeout;
    this.loss = loss;
    this.stepsPerRun = 1;
    Ops tf = Ops.create(graph);
    SparseUpdates sparse = null;
    List<GradAndVar<?>> gradients;
    if (lookups.isEmpty()) {
      gradients = optimizer.computeGradients(loss);
    } else {
      sparse =
          new SparseUpdates(
              graph, tf.withDevice(ctx.localDevice()), sparseOptimizer, loss, lookups);
      gradients = sparse.dense();
    }
    this.shardedTables = sparse == null ? List.of() : List.copyOf(sparse.sharded());
    this.globalStep =
        tf.withDevice(ctx.variableDevice(0)).withName("global_step").variable(tf.constant(0L));
    this.readStep = tf.withDevice(ctx.variableDevice(0)).identity(globalStep);
    if (synchronous) {
      buildSynchronous(tf, optimizer, gradients, sparse);
    } else {
      List<Op> applies = new ArrayList<>();
      if (!gradients.isEmpty()) {
        applies.add(optimizer.applyGradients(gradients, "replicated_apply"));
      }
      if (sparse != null) {
        applies.addAll(sparse.apply(tf, sparse.tables()));
      }
      applyAndCount = tf.withControlDependencies(applies).assignAdd(globalStep, tf.constant(1L));
    }
    if (ctx.numPs() > 0 && ctx.numWorkers() > 1) {
      buildFinishQueue(tf);
    }
  }

  /** Workers apply their own gradients as they come. */
  public static ReplicatedTraining asynchronous(
      NodeContext ctx, Graph graph, Optimizer optimizer, Operand<?> loss) {
    return new ReplicatedTraining(
        ctx, graph, optimizer, null, List.of(), loss, false, Duration.ofMinutes(10));
  }

  /**
   * Workers apply their own gradients as they come; the tables of {@code lookups} get sparse
   * updates (see {@link SparseLookup}), every other variable dense ones, both with {@code
   * optimizer}.
   */
  public static ReplicatedTraining asynchronous(
      NodeContext ctx,
      Graph graph,
      SparseOptimizer optimizer,
      Operand<?> loss,
      List<SparseLookup> lookups) {
    return new ReplicatedTraining(
        ctx,
        graph,
        optimizer.dense(graph),
        optimizer,
        List.copyOf(lookups),
        loss,
        false,
        Duration.ofMinutes(10));
  }

  /**
   * Builds one training step's model for {@link #asynchronous(NodeContext, Graph, SparseOptimizer,
   * int, StepModel)}, which calls it once per step of a run.
   */
  @FunctionalInterface
  public interface StepModel {
    /**
     * Builds step {@code step}'s (0-based within the run) inputs, loss and lookups. Build every op
     * with {@code tf} (or Ops derived from it, {@code tf.withDevice(...)}): from the second step on
     * it carries a control dependency on the previous step's update, which orders this step's reads
     * after it. Read the model's dense variables through {@link #read} and its tables through
     * {@link SparseLookup#gather}; create this step's placeholders here, and no variable.
     */
    StepLoss build(Ops tf, int step);
  }

  /**
   * One step's loss and the {@link SparseLookup}s whose tables get sparse updates (empty: every
   * variable gets dense updates).
   */
  public record StepLoss(Operand<?> loss, List<SparseLookup> lookups) {
    public StepLoss {
      lookups = List.copyOf(lookups);
    }
  }

  /**
   * Reads {@code variable} on its own device with {@code tf}'s control dependencies, so that a step
   * of a {@link StepModel} sees the variable after the previous step's update. (An op on another
   * device that takes the variable directly gets its value as of the start of the run.)
   */
  public static <T extends TType> Operand<T> read(Ops tf, Variable<T> variable) {
    return tf.withDevice(SparseLookup.deviceOf((GraphOperation) variable.op())).identity(variable);
  }

  /**
   * Workers apply their own gradients as they come, {@code stepsPerRun} training steps per {@link
   * #step} call, all in one {@code Session.run}: TensorFlow's distributed runtime costs each run
   * about the same (its calls to every task, its rendezvous), so a cheap step (a sparse update)
   * gets faster per step when several share a run, like Keras' {@code steps_per_execution}. {@code
   * model} builds each step: the steps are chained, step k+1 reading the variables after step k's
   * update, each step applying its own gradients and advancing the global step by one, so a run
   * equals {@code stepsPerRun} separate asynchronous steps. The feeds of {@link #step} carry every
   * step's inputs (the placeholders {@code model} made for each); {@link #step} returns the global
   * step after the last; {@link #loss} and {@link #lastLoss} are the last step's. The tables of
   * each step's lookups get sparse updates, every other variable dense ones, both with {@code
   * optimizer}; the slot variables (AdaGrad's accumulator, ...) are the same for every step.
   *
   * @param stepsPerRun training steps per run, >= 1
   * @throws IllegalArgumentException when {@code stepsPerRun < 1}, or when {@code model} creates a
   *     variable or reads one other than through {@link #read} or a {@link SparseLookup} built with
   *     the {@code tf} it gets
   */
  public static ReplicatedTraining asynchronous(
      NodeContext ctx, Graph graph, SparseOptimizer optimizer, int stepsPerRun, StepModel model) {
    if (stepsPerRun < 1) {
      throw new IllegalArgumentException(
          "Cannot build the training: stepsPerRun is "
              + stepsPerRun
              + "; give 1 or more training steps per run");
    }
    return new ReplicatedTraining(ctx, graph, optimizer, stepsPerRun, model);
  }

  private ReplicatedTraining(
      NodeContext ctx, Graph graph, SparseOptimizer optimizer, int stepsPerRun, StepModel model) {
    this.ctx = ctx;
    this.graph = graph;
    this.synchronous = false;
    this.syncTimeout = Duration.ofMinutes(10);
    this.stepsPerRun = stepsPerRun;
    Ops tf = Ops.create(graph);
    Ops local = tf.withDevice(ctx.localDevice());
    // The model's variables: those that exist now (the slots and the global step come later).
    Set<String> modelVariables = new HashSet<>();
    graph
        .operations()
        .forEachRemaining(
            op -> {
              if (SparseUpdates.isVariable(op)) {
                modelVariables.add(op.name());
              }
            });
    this.globalStep =
        tf.withDevice(ctx.variableDevice(0)).withName("global_step").variable(tf.constant(0L));
    this.readStep = tf.withDevice(ctx.variableDevice(0)).identity(globalStep);
    Map<String, Variable<TFloat32>> slots = new HashMap<>();
    List<ShardedTable> sharded = List.of();
    Operand<TInt64> count = null;
    Operand<?> stepLoss = null;
    for (int k = 0; k < stepsPerRun; k++) {
      Ops stepOps = count == null ? tf : tf.withControlDependencies(List.of(count));
      Set<String> before = new HashSet<>();
      graph.operations().forEachRemaining(op -> before.add(op.name()));
      StepLoss built = model.build(stepOps, k);
      checkReads(k, before);
      SparseUpdates updates =
          new SparseUpdates(
              graph,
              local,
              optimizer,
              built.loss(),
              built.lookups(),
              op -> modelVariables.contains(op.name()));
      if (k == 0) {
        sharded = List.copyOf(updates.sharded());
      }
      List<Op> applies = new ArrayList<>();
      for (GradAndVar<?> gv : updates.dense()) {
        if (gv.getVariable().type() != TFloat32.class) {
          throw new IllegalArgumentException(
              "Cannot build the training: variable "
                  + gv.getVariable().op().name()
                  + " is "
                  + gv.getVariable().dataType()
                  + "; only float32 variables can be trained");
        }
        @SuppressWarnings("unchecked")
        Output<TFloat32> variable = (Output<TFloat32>) gv.getVariable();
        @SuppressWarnings("unchecked")
        Output<TFloat32> gradient = (Output<TFloat32>) gv.getGradient();
        Ops onVariable = tf.withDevice(SparseLookup.deviceOf((GraphOperation) variable.op()));
        applies.add(optimizer.applyDense(onVariable, variable, gradient, slots));
      }
      applies.addAll(updates.apply(tf, updates.tables(), slots));
      // After this step's updates and the previous step's count: K counts a run, whatever reads.
      List<Op> ordered = new ArrayList<>(applies);
      if (count != null) {
        ordered.add(count);
      }
      count = tf.withControlDependencies(ordered).assignAdd(globalStep, tf.constant(1L));
      stepLoss = built.loss();
    }
    this.shardedTables = sharded;
    this.applyAndCount = count;
    this.loss = stepLoss;
    if (ctx.numPs() > 0 && ctx.numWorkers() > 1) {
      buildFinishQueue(tf);
    }
  }

  /**
   * Fails unless every op step {@code k} added reads variables on their own device and, from the
   * second step on, after the previous step's update (a control input): otherwise the step could
   * train on the variables as they were before.
   */
  private void checkReads(int k, Set<String> before) {
    List<String> problems = new ArrayList<>();
    graph
        .operations()
        .forEachRemaining(
            op -> {
              if (before.contains(op.name())) {
                return;
              }
              if (SparseUpdates.isVariable(op)) {
                problems.add("it creates variable " + op.name());
                return;
              }
              for (Operand<?> input : op.inputs()) {
                GraphOperation source = (GraphOperation) input.op();
                if (!SparseUpdates.isVariable(source)) {
                  continue;
                }
                boolean sameDevice =
                    SparseLookup.deviceOf(source)
                        .toString()
                        .equals(SparseLookup.deviceOf(op).toString());
                if (!sameDevice) {
                  problems.add(op.name() + " reads " + source.name() + " from another device");
                } else if (k > 0 && op.numControlInputs() == 0) {
                  problems.add(op.name() + " reads " + source.name() + " without the step's Ops");
                }
              }
            });
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot build training step "
              + k
              + " of "
              + stepsPerRun
              + " per run: "
              + String.join("; ", problems)
              + ". Create the variables before the training, build each step's ops with the Ops"
              + " the StepModel gets, and read variables through ReplicatedTraining.read or"
              + " SparseLookup.gather, so each step sees the previous step's update");
    }
  }

  /** Training steps per {@link #step} call (one {@code Session.run}). */
  public int stepsPerRun() {
    return stepsPerRun;
  }

  /**
   * Every update averages one gradient from each worker.
   *
   * @param syncTimeout how long a step waits for the other workers before failing
   */
  public static ReplicatedTraining synchronous(
      NodeContext ctx, Graph graph, Optimizer optimizer, Operand<?> loss, Duration syncTimeout) {
    return new ReplicatedTraining(ctx, graph, optimizer, null, List.of(), loss, true, syncTimeout);
  }

  /**
   * Every update averages one gradient from each worker; the tables of {@code lookups} get sparse
   * updates (each worker's rows go to a queue on the table's parameter server, where the chief's
   * update sums them by id and divides by the number of workers), every other variable dense ones,
   * both with {@code optimizer}.
   *
   * @param syncTimeout how long a step waits for the other workers before failing
   */
  public static ReplicatedTraining synchronous(
      NodeContext ctx,
      Graph graph,
      SparseOptimizer optimizer,
      Operand<?> loss,
      List<SparseLookup> lookups,
      Duration syncTimeout) {
    return new ReplicatedTraining(
        ctx,
        graph,
        optimizer.dense(graph),
        optimizer,
        List.copyOf(lookups),
        loss,
        true,
        syncTimeout);
  }

  /**
   * Makes the chief write "loss" and "global_step/sec" to {@link NodeContext#summaryWriter()} every
   * {@code everySteps} global steps, like TensorFlow's estimators, and the training graph once in
   * {@link #begin} (TensorBoard's Graphs tab).
   */
  public ReplicatedTraining summaries(Operand<?> loss, int everySteps) {
    if (everySteps < 1) {
      throw new IllegalArgumentException(
          "Invalid summary interval: " + everySteps + "; it must be >= 1");
    }
    this.summaryLoss = loss;
    this.summaryEvery = everySteps;
    return this;
  }

  /**
   * The loss of this worker's latest {@link #step}, NaN before the first or when the loss is not a
   * float or double scalar.
   */
  public double lastLoss() {
    return lastLoss;
  }

  /** The loss this training minimizes. */
  public Operand<?> loss() {
    return loss;
  }

  /** Turns off the summaries of {@link #summaries}, for {@link TrainingLoop}'s setting of 0. */
  void noSummaries() {
    this.summaryLoss = null;
    this.summaryEvery = 0;
  }

  /** The global step variable: the number of updates applied to the shared variables. */
  public Variable<TInt64> globalStep() {
    return globalStep;
  }

  /**
   * Prepares a session for training: the chief restores the latest checkpoint of the model
   * directory (or initializes the variables when there is none); the other workers wait until it
   * has. Returns the global step training starts from. With {@link ShardedTable}s of more than one
   * shard among the lookups, it first installs the graph's saver, which checkpoints each as one
   * logical table (see {@link ShardedTable}); call it before any save or restore.
   */
  public long begin(Session session, Duration timeout) {
    // Before the first save or restore, which would otherwise build TensorFlow Java's default
    // saver, writing each shard under its own name.
    LogicalSaver.install(graph, shardedTables);
    if (ctx.isChief()) {
      OptionalLong restored =
          ctx.modelDir() == null ? OptionalLong.empty() : Checkpoints.restoreLatest(ctx, session);
      if (restored.isEmpty()) {
        session.initialize();
      }
    } else {
      ctx.awaitVariables(session, timeout);
    }
    try (TInt64 step = (TInt64) session.runner().fetch(readStep).run().get(0)) {
      currentStep = step.getLong();
    }
    if (summaryEvery > 0 && ctx.isChief()) {
      // TensorBoard's Graphs tab: the whole training graph, restore ops included, once per run.
      SummaryWriter writer = ctx.summaryWriter();
      writer.graph(graph);
      writer.flush();
    }
    return currentStep;
  }

  /**
   * Runs one training step ({@link #stepsPerRun} of them, in one run) with the given feeds
   * (placeholders of the model to tensors; the caller closes the tensors) and returns the global
   * step after it.
   *
   * <p>When TensorFlow's gRPC runtime aborts a run of the step because a request reached a task
   * twice ({@code ABORTED: The same RunGraph (Worker) request was received twice}), an asynchronous
   * step runs again, up to {@value #MAX_ABORTED_RUNS} runs in all, and may then apply its batches
   * twice; a synchronous step fails at once, since running its gradient contribution or its update
   * again could count a gradient twice or wait for one that never comes.
   *
   * @throws IllegalStateException if TensorFlow aborted an asynchronous step {@value
   *     #MAX_ABORTED_RUNS} times in a row, or a synchronous step once
   */
  public long step(Session session, Map<Operand<?>, Tensor> feeds) {
    if (!synchronous) {
      return asynchronousStep(session, feeds);
    }
    RunOptions options = RunOptions.newBuilder().setTimeoutInMs(syncTimeout.toMillis()).build();
    boolean summarize = summarizing();
    try (TInt64 local = TInt64.scalarOf(currentStep)) {
      Session.Runner runner = session.runner().feed(localStep, local);
      feeds.forEach(runner::feed);
      contribute.forEach(runner::addTarget);
      if (summarize) {
        runner.fetch(summaryLoss);
      }
      int lossAt = fetchLoss(runner, summarize, 0);
      try (Result result = stepRun.run(runner)) {
        if (summarize) {
          writeSummaries(result.get(0));
        }
        lastLoss = scalar(result.get(lossAt));
      } catch (TensorFlowException e) {
        if (abortedDuplicate(e)) {
          throw notRunAgain(
              e,
              "its gradient contribution",
              "the parameter servers may already hold this worker's gradient for the step, and a"
                  + " second run would count it twice in the average");
        }
        throw e;
      }
    }
    try {
      Session.Runner runner = session.runner().setOptions(options);
      if (ctx.isChief()) {
        chiefRelease.forEach(runner::addTarget);
        runner.fetch(chiefUpdate);
      } else {
        runner.fetch(awaitToken);
      }
      try (Result result = stepRun.run(runner)) {
        currentStep = ((TInt64) result.get(0)).getLong();
      }
    } catch (RuntimeException e) {
      if (e instanceof TensorFlowException && abortedDuplicate((TensorFlowException) e)) {
        throw notRunAgain(
            e,
            ctx.isChief() ? "its update" : "its wait for the chief's update",
            ctx.isChief()
                ? "the first run may already have taken the workers' gradients and applied them,"
                    + " and a second would wait for gradients that never come"
                : "the first run may already have taken this worker's token, and a second would"
                    + " wait for one that never comes");
      }
      if (timedOut(e)) {
        throw new IllegalStateException(
            "Cannot finish synchronous step "
                + (currentStep + 1)
                + " on "
                + ctx.jobName()
                + ":"
                + ctx.taskIndex()
                + ": not every worker contributed within "
                + syncTimeout.toSeconds()
                + " s; in synchronous mode every worker must run the same number of steps",
            e);
      }
      throw e;
    }
    return currentStep;
  }

  /**
   * One asynchronous step: a single session run that computes the gradients and applies them. When
   * TensorFlow's gRPC runtime aborts it as a duplicate request it runs again, up to {@link
   * #MAX_ABORTED_RUNS} runs in all: the aborted run may already have applied the batch on the
   * parameter servers, so a step run again may apply its batch twice (what TensorFlow's
   * MonitoredSession does too).
   */
  private long asynchronousStep(Session session, Map<Operand<?>, Tensor> feeds) {
    boolean summarize = summarizing();
    for (int run = 1; ; run++) {
      // A fresh runner each time, with the same feeds: the caller closes them only after step.
      Session.Runner runner = session.runner();
      feeds.forEach(runner::feed);
      runner.fetch(applyAndCount);
      if (summarize) {
        runner.fetch(summaryLoss);
      }
      int lossAt = fetchLoss(runner, summarize, 1);
      try (Result result = stepRun.run(runner)) {
        currentStep = ((TInt64) result.get(0)).getLong();
        if (summarize) {
          writeSummaries(result.get(1));
        }
        lastLoss = scalar(result.get(lossAt));
        return currentStep;
      } catch (TensorFlowException e) {
        if (!abortedDuplicate(e)) {
          throw e;
        }
        if (run == MAX_ABORTED_RUNS) {
          throw new IllegalStateException(
              "Cannot run training step "
                  + (currentStep + 1)
                  + " on "
                  + ctx.jobName()
                  + ":"
                  + ctx.taskIndex()
                  + ": TensorFlow aborted it "
                  + run
                  + " times in a row: "
                  + e.getMessage(),
              e);
        }
        LOG.warn(
            "TensorFlow aborted training step {} on {}:{} (run {} of at most {}); running it"
                + " again, which may apply its batches twice: {}",
            currentStep + 1,
            ctx.jobName(),
            ctx.taskIndex(),
            run,
            MAX_ABORTED_RUNS,
            e.getMessage());
      }
    }
  }

  /**
   * The error of a synchronous step whose {@code what} TensorFlow aborted as a duplicate request:
   * it is not run again, for the reason {@code why}.
   */
  private IllegalStateException notRunAgain(RuntimeException e, String what, String why) {
    return new IllegalStateException(
        "Cannot run synchronous training step "
            + (currentStep + 1)
            + " on "
            + ctx.jobName()
            + ":"
            + ctx.taskIndex()
            + ": TensorFlow aborted "
            + what
            + " ("
            + e.getMessage()
            + "). A synchronous step is not run again: "
            + why
            + ". The node function fails, and with it the cluster (maxRestarts restarts only after"
            + " a lost node); run the job again to resume from the latest checkpoint",
        e);
  }

  /** Replaces how the step's session runs are run; for tests that make TensorFlow abort them. */
  void stepRun(StepRun run) {
    this.stepRun = run;
  }

  /**
   * Ends training on this worker and returns the global step. A worker other than the chief reports
   * that it has made its last update; the chief waits until every other worker has, so the
   * checkpoint and export it writes next hold all their updates. Every worker must call it once,
   * also one that ran no step. When {@code timeout} passes first the chief logs which workers are
   * missing and goes on: a late worker then loses only its last updates.
   */
  public long finish(Session session, Duration timeout) {
    if (reportFinished != null) {
      if (ctx.isChief()) {
        awaitOtherWorkers(session, timeout);
      } else {
        try (TInt64 task = TInt64.scalarOf(ctx.taskIndex())) {
          session.runner().feed(finishedTask, task).addTarget(reportFinished).run();
        }
      }
    }
    try (TInt64 step = (TInt64) session.runner().fetch(readStep).run().get(0)) {
      currentStep = step.getLong();
    }
    return currentStep;
  }

  private void awaitOtherWorkers(Session session, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<Long> finished = new TreeSet<>();
    while (finished.size() < ctx.numWorkers() - 1) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      RunOptions options = RunOptions.newBuilder().setTimeoutInMs(left).build();
      try (TInt64 task =
          (TInt64) session.runner().setOptions(options).fetch(awaitFinished).run().get(0)) {
        finished.add(task.getLong());
      } catch (RuntimeException e) {
        if (!timedOut(e)) {
          throw e;
        }
        List<Long> missing = new ArrayList<>();
        for (long w = 1; w < ctx.numWorkers(); w++) {
          if (!finished.contains(w)) {
            missing.add(w);
          }
        }
        LOG.warn(
            "The chief waited {} s for the other workers to finish; workers {} had not, so their"
                + " last updates may be missing from the final checkpoint",
            timeout.toSeconds(),
            missing);
        return;
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void buildFinishQueue(Ops tf) {
    Ops onPs = tf.withDevice(ctx.variableDevice(0));
    FifoQueue finished = scalarQueue(onPs, "sparktf_finished_workers");
    finishedTask =
        tf.withDevice(ctx.localDevice())
            .withName("sparktf_finished_task")
            .placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
    reportFinished = onPs.io.queueEnqueue(finished, List.of(finishedTask));
    awaitFinished =
        (Operand<TInt64>)
            (Operand) onPs.io.queueDequeue(finished, List.of(TInt64.class)).components().get(0);
  }

  private boolean summarizing() {
    return summaryEvery > 0
        && ctx.isChief()
        && (lastSummaryStep < 0 || currentStep - lastSummaryStep >= summaryEvery);
  }

  /**
   * Fetches the loss for {@link #lastLoss} unless the summaries fetch it already (a session refuses
   * the same output twice); returns its index in the result.
   */
  private int fetchLoss(Session.Runner runner, boolean summarize, int summaryAt) {
    if (summarize && summaryLoss.asOutput().equals(loss.asOutput())) {
      return summaryAt;
    }
    runner.fetch(loss);
    return summarize ? summaryAt + 1 : summaryAt;
  }

  /** A float or double scalar's value; NaN for other types. */
  private static double scalar(Tensor value) {
    if (value instanceof TFloat32) {
      return ((TFloat32) value).getFloat();
    }
    return value instanceof org.tensorflow.types.TFloat64
        ? ((org.tensorflow.types.TFloat64) value).getDouble()
        : Double.NaN;
  }

  private void writeSummaries(Tensor loss) {
    SummaryWriter writer = ctx.summaryWriter();
    writer.scalar("loss", currentStep, scalar(loss));
    OptionalDouble rate = stepRate.report(currentStep);
    if (rate.isPresent()) {
      writer.scalar("global_step/sec", currentStep, rate.getAsDouble());
    }
    writer.flush();
    lastSummaryStep = currentStep;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void buildSynchronous(
      Ops tf, Optimizer optimizer, List<GradAndVar<?>> gradients, SparseUpdates sparse) {
    Ops local = tf.withDevice(ctx.localDevice());
    localStep = local.withName("sparktf_local_step").placeholder(TInt64.class);
    int workers = ctx.numWorkers();
    List<GradAndVar<? extends TType>> averaged = new ArrayList<>();
    List<ConditionalAccumulator> accumulators = new ArrayList<>();
    for (int i = 0; i < gradients.size(); i++) {
      GradAndVar<?> gv = gradients.get(i);
      if (gv.getVariable().type() != TFloat32.class) {
        throw new IllegalArgumentException(
            "Invalid variable for synchronous training: "
                + gv.getVariable().op().name()
                + " is "
                + gv.getVariable().dataType()
                + "; only float32 variables are supported");
      }
      Ops onVariable = tf.withDevice(SparseLookup.deviceOf((GraphOperation) gv.getVariable().op()));
      ConditionalAccumulator accumulator =
          onVariable.train.conditionalAccumulator(
              TFloat32.class,
              gv.getVariable().shape(),
              ConditionalAccumulator.sharedName("sparktf_accumulator_" + i));
      accumulators.add(accumulator);
      contribute.add(
          onVariable.train.accumulatorApplyGradient(
              accumulator.handle(), localStep, gv.getGradient()));
      Operand<TFloat32> mean =
          onVariable.train.accumulatorTakeGradient(
              accumulator.handle(), onVariable.constant(workers), TFloat32.class);
      averaged.add(new GradAndVar(mean.asOutput(), gv.getVariable()));
    }
    List<Op> applies = new ArrayList<>();
    if (!averaged.isEmpty()) {
      applies.add(optimizer.applyGradients(averaged, "sync_replicas_apply"));
    }
    if (sparse != null) {
      SparseUpdates.Synchronous sync = sparse.synchronous(tf, workers);
      contribute.addAll(sync.contribute());
      applies.addAll(sparse.apply(tf, sync.averaged()));
    }
    chiefUpdate = tf.withControlDependencies(applies).assignAdd(globalStep, tf.constant(1L));
    for (ConditionalAccumulator accumulator : accumulators) {
      chiefRelease.add(tf.train.accumulatorSetGlobalStep(accumulator.handle(), chiefUpdate));
    }
    Ops onPs = tf.withDevice(ctx.variableDevice(0));
    FifoQueue tokens = scalarQueue(onPs, "sparktf_sync_tokens");
    if (workers > 1) {
      Operand<TInt64> release = tf.fill(tf.constant(new int[] {workers - 1}), chiefUpdate);
      chiefRelease.add(onPs.io.queueEnqueueMany(tokens, List.of(release)));
    }
    awaitToken =
        (Operand<TInt64>)
            (Operand) onPs.io.queueDequeue(tokens, List.of(TInt64.class)).components().get(0);
  }

  /** A queue of int64 scalars that every worker's session shares by name. */
  private static FifoQueue scalarQueue(Ops onDevice, String sharedName) {
    return onDevice.io.fifoQueue(
        List.of(TInt64.class), FifoQueue.shapes(Shape.scalar()), FifoQueue.sharedName(sharedName));
  }

  /**
   * Whether TensorFlow aborted a session run because one of its gRPC requests reached a task twice:
   * a task remembers the ids of its recent requests ({@code RecentRequestIds} in TensorFlow's
   * distributed runtime) and answers ABORTED to one it has seen. TF Java 1.1.0 raises ABORTED as a
   * plain {@link TensorFlowException} without its code, so the message tells.
   */
  static boolean abortedDuplicate(TensorFlowException e) {
    return e.getClass() == TensorFlowException.class
        && String.valueOf(e.getMessage()).contains(" request was received twice");
  }

  /** Whether a session run failed because its RunOptions timeout passed. */
  private static boolean timedOut(RuntimeException e) {
    String message = String.valueOf(e.getMessage());
    return message.contains("Deadline Exceeded") || message.contains("Timed out");
  }
}
