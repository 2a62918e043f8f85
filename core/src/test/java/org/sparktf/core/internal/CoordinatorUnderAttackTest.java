package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The driver's coordinator against peers that never authenticate: a flood of junk connections, a
 * slow loris, a client without the secret. Unauthenticated peers get a bounded number of threads
 * and little memory, each for a bounded time, and real nodes still get through.
 */
class CoordinatorUnderAttackTest {
  private static final byte[] SECRET = ControlChannel.newSecret();
  private static final int MAX_PENDING = 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Coordinator coordinator(int handshakeTimeoutMillis) throws Exception {
    return new Coordinator(
        new ClusterLayout(1, 0, false),
        SECRET,
        "127.0.0.1",
        PortRange.ANY,
        120_000L,
        handshakeTimeoutMillis,
        MAX_PENDING);
  }

  @Test
  void hundredsOfJunkConnectionsKeepThreadsAndHeapBoundedAndANodeStillRegisters() throws Exception {
    long heapBefore = HostileClients.usedHeapAfterGc();
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
    try (Coordinator coordinator = coordinator(20_000);
        HostileClients junk = new HostileClients("127.0.0.1", coordinator.port())) {
      junk.hugeLengths(200).silent(50).tricklers(50);
      String handshakes = coordinator.handshakeThreadName();
      long maxHandshakeThreads = 0;
      int maxThreads = 0;
      // The server closes every junk connection it has no handshake slot for.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (junk.closedByServer(1) < junk.size() - MAX_PENDING && System.nanoTime() < deadline) {
        junk.trickle();
        maxHandshakeThreads =
            Math.max(maxHandshakeThreads, HostileClients.threadsNamed(handshakes));
        maxThreads = Math.max(maxThreads, ManagementFactory.getThreadMXBean().getThreadCount());
      }
      assertThat(junk.closedByServer(1)).isGreaterThanOrEqualTo(junk.size() - MAX_PENDING);
      assertThat(maxHandshakeThreads).isLessThanOrEqualTo(MAX_PENDING);
      assertThat(maxThreads - threadsBefore).isLessThanOrEqualTo(MAX_PENDING + 8);
      // 200 connections that each announce 4 MiB would have cost 800 MiB before the pre-auth cap.
      assertThat(HostileClients.usedHeapAfterGc() - heapBefore).isLessThan(64L << 20);

      // A real node registers beside the junk that is still pending: it takes the place of the
      // oldest junk connection.
      long start = System.nanoTime();
      try (ControlChannel node =
          ControlChannel.connect(
              "127.0.0.1", coordinator.port(), SECRET, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS)) {
        node.send(
            new NodeAddress(0, "127.0.0.1", 40_000, 0, "exec-0").toJson().put("type", "register"));
        node.readTimeout(30_000);
        assertThat(node.receive().path("type").asText()).isEqualTo("cluster");
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
      assertThat(coordinator.registeredCount()).isEqualTo(1);
      assertThat(HostileClients.threadsNamed(handshakes)).isLessThanOrEqualTo(MAX_PENDING);
    }
  }

  @Test
  void aConnectionThatTricklesItsMessageIsClosedByTheHandshakeDeadline() throws Exception {
    try (Coordinator coordinator = coordinator(2_000);
        HostileClients loris = new HostileClients("127.0.0.1", coordinator.port())) {
      loris.tricklers(1);
      long start = System.nanoTime();
      int sent = 0;
      long deadline = start + Duration.ofSeconds(30).toNanos();
      // One byte every 100 ms: each read on the server side succeeds well within 2 s.
      while (loris.closedByServer(100) == 0 && System.nanoTime() < deadline) {
        loris.trickle();
        sent++;
      }
      Duration open = Duration.ofNanos(System.nanoTime() - start);
      assertThat(loris.closedByServer(100)).isEqualTo(1);
      assertThat(sent).isGreaterThan(4);
      assertThat(open).isBetween(Duration.ofMillis(1_500), Duration.ofSeconds(15));
    }
  }

  @Test
  void aClientWithAValidHelloAndAWrongProofGetsAnErrorAndIsClosed() throws Exception {
    try (Coordinator coordinator = coordinator(ControlChannel.HANDSHAKE_TIMEOUT_MILLIS);
        Socket client = new Socket("127.0.0.1", coordinator.port())) {
      client.setSoTimeout(10_000);
      DataOutputStream out = new DataOutputStream(client.getOutputStream());
      DataInputStream in = new DataInputStream(client.getInputStream());
      send(out, "{\"type\":\"hello\",\"nonce\":\"bm9uY2Ugb2YgdGhlIHRlc3Q=\"}");
      assertThat(receive(in).path("type").asText()).isEqualTo("challenge");
      send(out, "{\"type\":\"auth\",\"proof\":\"bm90IHRoZSBwcm9vZg==\"}");
      JsonNode verdict = receive(in);
      assertThat(verdict.path("type").asText()).isEqualTo("error");
      assertThat(verdict.path("message").asText()).isEqualTo("wrong secret");
      assertThat(HostileClients.isClosedByPeer(client, 10_000)).isTrue();
      assertThat(coordinator.registeredCount()).isZero();
    }
  }

  private static void send(DataOutputStream out, String json) throws Exception {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
  }

  private static JsonNode receive(DataInputStream in) throws Exception {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return JSON.readTree(bytes);
  }
}
