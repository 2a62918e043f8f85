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
    coordinator = new Coordinator(new ClusterLayout(2, 1, false), SECRET, "127.0.0.1");
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
