package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The bridge in-process; TFClusterTest covers gRPC targets on real node processes. */
class GrpcSessionsTest {
  @Test
  void opensAWorkingSessionOnTheLocalTarget() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var sum = tf.math.add(tf.constant(2), tf.constant(3));
      try (Session session = GrpcSessions.open(graph, "", ConfigProto.getDefaultInstance());
          TInt32 result = (TInt32) session.runner().fetch(sum).run().get(0)) {
        assertThat(result.getInt()).isEqualTo(5);
      }
    }
  }

  @Test
  void leavesInitializationToTheCallerUnlessMarked() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> v = tf.variable(tf.constant(4f));
      try (Session session = GrpcSessions.open(graph, "", ConfigProto.getDefaultInstance())) {
        assertThatThrownBy(() -> session.runner().fetch(v).run())
            .hasMessageContaining("un-ran initializers");
        session.initialize();
        try (TFloat32 value = (TFloat32) session.runner().fetch(v).run().get(0)) {
          assertThat(value.getFloat()).isEqualTo(4f);
        }
      }
      try (Session other = GrpcSessions.open(graph, "", ConfigProto.getDefaultInstance())) {
        GrpcSessions.markInitialized(other);
        // Marked as initialized, it no longer refuses to run; the variable itself is still unset.
        assertThatThrownBy(() -> other.runner().fetch(v).run())
            .hasMessageContaining("uninitialized");
      }
    }
  }

  @Test
  void reportsAnUnreachableTargetWithItsAddress() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      tf.constant(1);
      assertThatThrownBy(
              () -> GrpcSessions.open(graph, "bogus://nowhere", ConfigProto.getDefaultInstance()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Cannot open a TensorFlow session on bogus://nowhere");
    }
  }
}
