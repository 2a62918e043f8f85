package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * A training step whose session run TensorFlow's gRPC runtime aborts as a duplicate request. No
 * real TensorFlow run can be made to answer that (the master picks each request's id at random;
 * only a request that reaches a task twice gets it), so the runs here are real and each aborted one
 * ends with the error TF Java 1.1.0 raises for it: a plain {@link TensorFlowException} with
 * TensorFlow's message, after the run did its work, as when the first copy of a request ran on the
 * parameter server and the second was refused.
 */
class AbortedStepTest {
  /** TensorFlow's message (RecentRequestIds::TrackUnique), as a worker's step got it in CI. */
  static final String DUPLICATE =
      "The same RunGraph (Worker) request was received twice. graph_handle: \"0000000000000001\""
          + " step_id: 123 request_id: 456";

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  /**
   * Counts and runs every session run of the step; those {@code aborted} picks (from 1) then fail.
   */
  private static ReplicatedTraining.StepRun aborting(AtomicInteger runs, IntPredicate aborted) {
    return runner -> {
      int run = runs.incrementAndGet();
      Result result = runner.run();
      if (aborted.test(run)) {
        result.close();
        throw new TensorFlowException(DUPLICATE);
      }
      return result;
    };
  }

  private static long globalStep(Session session, ReplicatedTraining training) {
    try (TInt64 step = (TInt64) session.runner().fetch(training.globalStep()).run().get(0)) {
      return step.getLong();
    }
  }

  @Test
  void anAsynchronousStepThatTensorFlowAbortsRunsAgainWithTheSameFeedsAndSucceeds() {
    NodeContext ctx = new LocalNodeContext();
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training = model.training(ctx, graph, false);
      AtomicInteger runs = new AtomicInteger();
      training.stepRun(aborting(runs, run -> run <= 2));
      try (Session session = ctx.session(graph);
          TFloat32 x = TFloat32.vectorOf(1f, 2f);
          TFloat32 y = TFloat32.vectorOf(3f, 5f)) {
        assertThat(training.begin(session, Duration.ofSeconds(10))).isZero();
        long step = training.step(session, Map.of(model.x(), x, model.y(), y));
        // Three runs with the same feeds, each applied: the two aborted ones did their work first.
        assertThat(runs).hasValue(3);
        assertThat(step).isEqualTo(3).isEqualTo(globalStep(session, training));
        assertThat(training.lastLoss()).isPositive();
        // The next step runs once.
        assertThat(training.step(session, Map.of(model.x(), x, model.y(), y))).isEqualTo(4);
        assertThat(runs).hasValue(4);
      }
    }
  }

  @Test
  void anAsynchronousStepThatTensorFlowAbortsEveryTimeFailsAfterThreeRuns() {
    NodeContext ctx = new LocalNodeContext();
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training = model.training(ctx, graph, false);
      AtomicInteger runs = new AtomicInteger();
      try (Session session = ctx.session(graph);
          TFloat32 x = TFloat32.vectorOf(1f, 2f);
          TFloat32 y = TFloat32.vectorOf(3f, 5f)) {
        training.begin(session, Duration.ofSeconds(10));
        assertThat(training.step(session, Map.of(model.x(), x, model.y(), y))).isEqualTo(1);
        training.stepRun(aborting(runs, run -> true));
        assertThatThrownBy(() -> training.step(session, Map.of(model.x(), x, model.y(), y)))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage(
                "Cannot run training step 2 on worker:0: TensorFlow aborted it 3 times in a row: "
                    + DUPLICATE)
            .cause()
            .isExactlyInstanceOf(TensorFlowException.class);
        assertThat(runs).hasValue(ReplicatedTraining.MAX_ABORTED_RUNS);
      }
    }
  }

  @Test
  void anAsynchronousStepThatFailsOtherwiseIsNotRunAgain(@TempDir Path dir) {
    NodeContext ctx = new LocalNodeContext();
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training = model.training(ctx, graph, false);
      // A real error TF Java raises as a plain TensorFlowException, like ABORTED: NOT_FOUND.
      Operand<TString> missing = model.tf().io.readFile(model.tf().constant(dir + "/missing"));
      AtomicInteger runs = new AtomicInteger();
      try (Session session = ctx.session(graph);
          TFloat32 x = TFloat32.vectorOf(1f, 2f);
          TFloat32 y = TFloat32.vectorOf(3f, 5f)) {
        training.begin(session, Duration.ofSeconds(10));
        training.stepRun(
            runner -> {
              runs.incrementAndGet();
              return session.runner().fetch(missing).run();
            });
        assertThatThrownBy(() -> training.step(session, Map.of(model.x(), x, model.y(), y)))
            .isExactlyInstanceOf(TensorFlowException.class)
            .hasMessageContaining("missing");
        assertThat(runs).hasValue(1);
        // TensorFlow's own error: the label is not fed.
        training.stepRun(aborting(runs, run -> false));
        assertThatThrownBy(() -> training.step(session, Map.of(model.x(), x)))
            .isInstanceOf(TFInvalidArgumentException.class);
        assertThat(runs).hasValue(2);
      }
    }
  }

  @Test
  void anAbortedDuplicateIsTensorFlowsPlainErrorWithItsMessage() {
    assertThat(ReplicatedTraining.abortedDuplicate(new TensorFlowException(DUPLICATE))).isTrue();
    assertThat(
            ReplicatedTraining.abortedDuplicate(
                new TensorFlowException("From /job:ps/replica:0/task:0:\n" + DUPLICATE)))
        .isTrue();
    assertThat(ReplicatedTraining.abortedDuplicate(new TensorFlowException("Socket closed")))
        .isFalse();
    assertThat(ReplicatedTraining.abortedDuplicate(new TFFailedPreconditionException(DUPLICATE)))
        .isFalse();
  }

  @Test
  void aSynchronousStepWhoseContributionTensorFlowAbortsFailsWithoutRunningAgain() {
    assertThatThrownBy(() -> synchronousStep(run -> run == 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "Cannot run synchronous training step 1 on worker:0: TensorFlow aborted its gradient"
                + " contribution ("
                + DUPLICATE
                + "). A synchronous step is not run again: the parameter servers may already hold"
                + " this worker's gradient")
        .hasMessageContaining("run the job again to resume from the latest checkpoint")
        .cause()
        .isExactlyInstanceOf(TensorFlowException.class);
  }

  @Test
  void aSynchronousStepWhoseUpdateTensorFlowAbortsFailsWithoutRunningAgain() {
    assertThatThrownBy(() -> synchronousStep(run -> run == 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "Cannot run synchronous training step 1 on worker:0: TensorFlow aborted its update ("
                + DUPLICATE
                + "). A synchronous step is not run again: the first run may already have taken");
  }

  /**
   * One synchronous step of a lone chief whose runs {@code aborted} picks fail; checks the runs.
   */
  private static void synchronousStep(IntPredicate aborted) {
    NodeContext ctx = new LocalNodeContext();
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      ReplicatedTraining training =
          ReplicatedTraining.synchronous(
              ctx, graph, new GradientDescent(graph, 0.1f), model.loss(), Duration.ofSeconds(10));
      AtomicInteger runs = new AtomicInteger();
      training.stepRun(aborting(runs, aborted));
      try (Session session = ctx.session(graph);
          TFloat32 x = TFloat32.vectorOf(1f, 2f);
          TFloat32 y = TFloat32.vectorOf(3f, 5f)) {
        training.begin(session, Duration.ofSeconds(10));
        try {
          training.step(session, Map.of(model.x(), x, model.y(), y));
        } finally {
          // The aborted run was the last: nothing ran it again.
          assertThat(aborted.test(runs.get())).isTrue();
        }
      }
    }
  }
}
