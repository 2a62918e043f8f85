package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Several training steps per run equal as many single steps, in a local session (the cluster case:
 * {@link ReplicatedTrainingTest}).
 */
class StepsPerRunTest {
  /** Every value of {@code actual} within 1e-6 of {@code expected}'s. */
  static void assertSameValues(float[] actual, float[] expected, String what) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i])
          .as("%s, value %d", what, i)
          .isCloseTo(expected[i], Offset.offset(1e-6f));
    }
  }

  @Test
  void threeStepsPerRunEqualThreeSingleStepsForEveryOptimizerDenseAndSparse() {
    for (SparseOptimizer optimizer : SparseUpdatesTest.optimizers()) {
      for (boolean sparse : new boolean[] {false, true}) {
        String what = optimizer + (sparse ? ", sparse" : ", dense");
        StepsPerRunModel.Trained single =
            StepsPerRunModel.train(new LocalNodeContext(), optimizer, sparse, 1);
        StepsPerRunModel.Trained three =
            StepsPerRunModel.train(new LocalNodeContext(), optimizer, sparse, 3);
        StepsPerRunModel.Trained none =
            StepsPerRunModel.train(new LocalNodeContext(), optimizer, sparse, 6);
        assertThat(single.steps()).as(what).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(three.steps()).as(what).containsExactly(3L, 6L);
        assertThat(none.steps()).as(what).containsExactly(6L);
        assertSameValues(three.values(), single.values(), what);
        assertSameValues(none.values(), single.values(), what);
        assertThat(three.lastLoss()).as(what).isCloseTo(single.lastLoss(), Offset.offset(1e-6));
        // Training moved the bias: the steps did something to compare.
        assertThat(single.values()[StepsPerRunModel.ROWS * StepsPerRunModel.DIM])
            .as(what)
            .isNotCloseTo(0.5f, Offset.offset(1e-3f));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -2})
  void stepsPerRunBelowOneIsRefused(int stepsPerRun) {
    try (Graph graph = new Graph()) {
      assertThatThrownBy(
              () ->
                  ReplicatedTraining.asynchronous(
                      new LocalNodeContext(),
                      graph,
                      SparseOptimizer.sgd(0.1f),
                      stepsPerRun,
                      (tf, k) -> {
                        throw new AssertionError("no step is built");
                      }))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Cannot build the training: stepsPerRun is "
                  + stepsPerRun
                  + "; give 1 or more training steps per run");
    }
  }

  @Test
  void aStepThatReadsAVariableOnAnotherDeviceDirectlyIsRefused() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      DeviceSpec ps = DeviceSpec.newBuilder().job("ps").task(0).build();
      Variable<TFloat32> w = tf.withDevice(ps).withName("w").variable(tf.constant(1f));
      assertThatThrownBy(
              () ->
                  ReplicatedTraining.asynchronous(
                      new LocalNodeContext(),
                      graph,
                      SparseOptimizer.sgd(0.1f),
                      2,
                      (step, k) ->
                          new ReplicatedTraining.StepLoss(
                              step.math.square(step.math.sub(w, step.constant(3f))), List.of())))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Cannot build training step 0 of 2 per run: ")
          .hasMessageContaining("reads w from another device")
          .hasMessageContaining("ReplicatedTraining.read");
    }
  }

  @Test
  void aStepThatReadsAVariableWithoutItsOpsIsRefused() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(1f));
      // The outer Ops: step 1 would read w before step 0's update.
      assertThatThrownBy(
              () ->
                  ReplicatedTraining.asynchronous(
                      new LocalNodeContext(),
                      graph,
                      SparseOptimizer.sgd(0.1f),
                      2,
                      (step, k) ->
                          new ReplicatedTraining.StepLoss(
                              tf.math.square(tf.math.sub(w, tf.constant(3f))), List.of())))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Cannot build training step 1 of 2 per run: ")
          .hasMessageContaining("reads w without the step's Ops");
    }
  }
}
