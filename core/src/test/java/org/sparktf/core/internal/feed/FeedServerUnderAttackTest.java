package org.sparktf.core.internal.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.sparktf.core.internal.ControlChannel;
import org.sparktf.core.internal.ControlServer;
import org.sparktf.core.internal.HostileClients;
import org.sparktf.core.internal.PortRange;

/** A worker's feed endpoint against junk connections, and the address it listens on. */
class FeedServerUnderAttackTest {
  private static final byte[] SECRET = ControlChannel.newSecret();

  @Test
  void junkConnectionsKeepThreadsAndHeapBoundedAndAFeedingTaskStillGetsThrough() throws Exception {
    long heapBefore = HostileClients.usedHeapAfterGc();
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
    FeedServer server =
        new FeedServer(
            SECRET, 60_000, "worker:0", InetAddress.getLoopbackAddress(), PortRange.ANY, 20_000);
    try (HostileClients junk = new HostileClients("127.0.0.1", server.port())) {
      junk.hugeLengths(200).silent(50).tricklers(50);
      long maxHandshakeThreads = 0;
      int maxThreads = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (junk.closedByServer(1) < junk.size() - ControlServer.MAX_PENDING
          && System.nanoTime() < deadline) {
        junk.trickle();
        maxHandshakeThreads =
            Math.max(
                maxHandshakeThreads, HostileClients.threadsNamed(server.handshakeThreadName()));
        maxThreads = Math.max(maxThreads, ManagementFactory.getThreadMXBean().getThreadCount());
      }
      assertThat(junk.closedByServer(1))
          .isGreaterThanOrEqualTo(junk.size() - ControlServer.MAX_PENDING);
      assertThat(maxHandshakeThreads).isLessThanOrEqualTo(ControlServer.MAX_PENDING);
      assertThat(maxThreads - threadsBefore).isLessThanOrEqualTo(ControlServer.MAX_PENDING + 8);
      assertThat(HostileClients.usedHeapAfterGc() - heapBefore).isLessThan(64L << 20);

      // A feeding task authenticates beside the junk and is told to start.
      try (ControlChannel feeder =
          ControlChannel.connect(
              "127.0.0.1", server.port(), SECRET, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS)) {
        feeder.send(ControlChannel.message("feed").put("mode", "train").put("partition", 0));
        feeder.readTimeout(30_000);
        assertThat(feeder.receive().path("type").asText()).isEqualTo("ready");
        feeder.output().writeByte(FeedProtocol.END);
        feeder.output().flush();
      }
    } finally {
      server.abort();
    }
  }

  @Test
  void anAuthenticatedFeedingTaskThatFallsSilentIsCutOffAfterTheFeedTimeout() throws Exception {
    FeedServer server =
        new FeedServer(
            SECRET, 1_000, "worker:0", InetAddress.getLoopbackAddress(), PortRange.ANY, 20_000);
    try (ControlChannel feeder =
        ControlChannel.connect(
            "127.0.0.1", server.port(), SECRET, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS)) {
      feeder.send(ControlChannel.message("feed").put("mode", "train").put("partition", 0));
      feeder.readTimeout(30_000);
      assertThat(feeder.receive().path("type").asText()).isEqualTo("ready");
      long start = System.nanoTime();
      // Sends nothing more, as a frozen executor would: the worker closes the connection.
      assertThat(HostileClients.isClosedByPeer(feeder.socket(), 30_000)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    } finally {
      server.abort();
    }
  }

  @Test
  void theFeedPortListensOnTheNodesAddressOnly() throws Exception {
    FeedServer server =
        new FeedServer(
            SECRET, 60_000, "worker:0", InetAddress.getByName("127.0.0.1"), PortRange.ANY);
    try {
      try (Socket socket = new Socket("127.0.0.1", server.port())) {
        assertThat(socket.isConnected()).isTrue();
      }
      // Another address of this host (all of 127/8 is loopback on Linux) does not reach it.
      assertThatThrownBy(() -> new Socket("127.0.0.2", server.port()).close())
          .isInstanceOf(ConnectException.class);
    } finally {
      server.abort();
    }
  }
}
