package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the coordinator tells a lost node (a restart can mend it) from a node function that threw,
 * with nodes played by plain control channels.
 */
class CoordinatorTest {
  private static final byte[] SECRET = ControlChannel.newSecret();
  private final List<ControlChannel> nodes = new ArrayList<>();
  private Coordinator coordinator;

  @BeforeEach
  void start() throws Exception {
    start(60_000);
  }

  /** A coordinator of ps:0 and worker:0, both registered. */
  private void start(long livenessTimeoutMillis) throws Exception {
    coordinator =
        new Coordinator(new ClusterLayout(2, 1, false), SECRET, "127.0.0.1", livenessTimeoutMillis);
    for (int index = 0; index < 2; index++) {
      ControlChannel node = ControlChannel.connect("127.0.0.1", coordinator.port(), SECRET, 10_000);
      node.send(
          new NodeAddress(index, "127.0.0.1", 40_000 + index, 0, "exec-" + index)
              .toJson()
              .put("type", "register"));
      nodes.add(node);
    }
    for (ControlChannel node : nodes) {
      node.readTimeout(30_000);
      assertThat(node.receive().path("type").asText()).isEqualTo("cluster");
    }
  }

  @AfterEach
  void stop() throws Exception {
    coordinator.close();
    for (ControlChannel node : nodes) {
      node.close();
    }
  }

  @Test
  void aParameterServerWhoseProcessEndsIsALostNodeEvenAfterItsFunctionReturned() throws Exception {
    ControlChannel ps = nodes.get(0);
    ps.send(ControlChannel.message("done"));
    ps.close();
    report(0, 137, "killed");

    assertThat(coordinator.awaitFailure(30_000)).isTrue();
    assertThat(coordinator.failure()).startsWith("Node ps:0 (executor exec-0").contains("code 137");
    assertThat(coordinator.failedByNodeLoss()).isTrue();
  }

  @Test
  void aNodeThatDisappearsWithItsExecutorIsALostNodeOnceNoExitReportCame() throws Exception {
    long start = System.nanoTime();
    nodes.get(1).close();

    assertThat(coordinator.awaitFailure(30_000)).isTrue();
    assertThat(coordinator.failure())
        .startsWith("Node worker:0 (executor exec-1")
        .contains("lost its connection to the driver");
    assertThat(coordinator.failedByNodeLoss()).isTrue();
    // It waited for an exit report first, but not for long.
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isBetween(4L, 20L);
  }

  @Test
  void aFunctionThatThrowsIsNotALostNode() throws Exception {
    nodes.get(1).send(ControlChannel.message("failed").put("error", "bad input on purpose"));

    assertThat(coordinator.awaitFailure(30_000)).isTrue();
    assertThat(coordinator.failure())
        .isEqualTo("Node worker:0 (executor exec-1, host 127.0.0.1) failed: bad input on purpose");
    assertThat(coordinator.failedByNodeLoss()).isFalse();
  }

  /** Starts again with a short liveness timeout; returns the time the nodes joined. */
  private long restartWithLivenessTimeout(long millis) throws Exception {
    stop();
    nodes.clear();
    start(millis);
    return System.nanoTime();
  }

  @Test
  void aSilentNodeIsLostAfterTheLivenessTimeoutAndToldItIsSuperseded() throws Exception {
    long joined = restartWithLivenessTimeout(2_000);
    Thread psHeartbeat = Heartbeats.start(nodes.get(0), 2_000, "test-heartbeat", e -> {});
    try {
      // worker:0 says nothing from now on, like a frozen process.
      assertThat(coordinator.awaitFailure(30_000)).isTrue();
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - joined);
      assertThat(coordinator.failure())
          .startsWith(
              "Node worker:0 (executor exec-1, host 127.0.0.1) was lost: its process was silent"
                  + " for ")
          .contains("longer than nodeLivenessTimeout (2.0 s)");
      assertThat(coordinator.failedByNodeLoss()).isTrue();
      assertThat(coordinator.silentExecutors()).containsExactly("exec-1");
      assertThat(seconds).isBetween(2L, 10L);
      // Should it wake up, the node reads that it is superseded, then the channel closes.
      assertThat(typesUntilClosed(nodes.get(1))).endsWith(Heartbeats.SUPERSEDED);
    } finally {
      psHeartbeat.interrupt();
    }
  }

  @Test
  void aFunctionThatFailsWhileAnotherNodeIsSilentFailsWithThatNodesLoss() throws Exception {
    restartWithLivenessTimeout(2_000);
    ControlChannel worker = nodes.get(1);
    Thread workerHeartbeat = Heartbeats.start(worker, 2_000, "test-heartbeat", e -> {});
    try {
      // ps:0 froze; worker:0's next gRPC call to it fails before the liveness timeout ran out.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!coordinator.suspect(0) && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      }
      assertThat(coordinator.suspect(0)).isTrue();
      worker.send(ControlChannel.message("failed").put("error", "UNAVAILABLE: ps:0 timed out"));

      assertThat(coordinator.awaitFailure(30_000)).isTrue();
      assertThat(coordinator.failure())
          .startsWith(
              "Node ps:0 (executor exec-0, host 127.0.0.1) was lost: its process was silent")
          .endsWith("; meanwhile node worker:0 failed: UNAVAILABLE: ps:0 timed out");
      assertThat(coordinator.failedByNodeLoss()).isTrue();
    } finally {
      workerHeartbeat.interrupt();
    }
  }

  @Test
  void aNodeWhoseExecutorSparkRemovedIsLostAtOnce() throws Exception {
    coordinator.executorLost("exec-1", "Command exited with code 137");

    assertThat(coordinator.failure())
        .isEqualTo(
            "Node worker:0 (executor exec-1, host 127.0.0.1) was lost: Spark removed its executor"
                + " (Command exited with code 137)");
    assertThat(coordinator.failedByNodeLoss()).isTrue();
    assertThat(coordinator.silentExecutors()).isEmpty();
    assertThat(typesUntilClosed(nodes.get(1))).endsWith(Heartbeats.SUPERSEDED);
  }

  @Test
  void anExecutorSparkRemovedWithoutANodeChangesNothing() throws Exception {
    coordinator.executorLost("exec-9", "unrelated");

    assertThat(coordinator.failure()).isNull();
  }

  /** The types of the messages a node receives until the coordinator closes its channel. */
  private static List<String> typesUntilClosed(ControlChannel node) throws Exception {
    List<String> types = new ArrayList<>();
    node.readTimeout(30_000);
    try {
      while (true) {
        types.add(node.receive().path("type").asText());
      }
    } catch (java.io.IOException e) {
      assertThat(ControlChannel.isEof(e)).as("closed, not %s", e).isTrue();
    }
    return types;
  }

  /** What an executor sends when its node's process exited. */
  private void report(int index, int exitCode, String output) throws Exception {
    try (ControlChannel executor =
        ControlChannel.connect("127.0.0.1", coordinator.port(), SECRET, 10_000)) {
      ObjectNode message =
          ControlChannel.message("exited")
              .put("index", index)
              .put("exitCode", exitCode)
              .put("output", output);
      executor.send(message);
    }
  }
}
