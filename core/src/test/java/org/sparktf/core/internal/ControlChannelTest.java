package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ControlChannelTest {
  private static final byte[] SECRET = ControlChannel.newSecret();

  /** Accepts one client on a helper thread, with the test's secret. */
  private static CompletableFuture<ControlChannel> acceptAsync(ServerSocket server) {
    return acceptAsync(server, 5000);
  }

  private static CompletableFuture<ControlChannel> acceptAsync(
      ServerSocket server, int timeoutMillis) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return ControlChannel.accept(server.accept(), SECRET, timeoutMillis);
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        });
  }

  @Test
  void peersWithTheSameSecretExchangeMessages() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<String> received =
          CompletableFuture.supplyAsync(
              () -> {
                try (ControlChannel channel =
                    ControlChannel.accept(server.accept(), SECRET, 5000)) {
                  ObjectNode message = channel.receive();
                  channel.send(
                      ControlChannel.message("reply").put("echo", message.path("text").asText()));
                  return message.path("text").asText();
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              });
      try (ControlChannel client =
          ControlChannel.connect("127.0.0.1", server.getLocalPort(), SECRET, 5000)) {
        client.send(ControlChannel.message("hi").put("text", "hello"));
        assertThat(client.receive().path("echo").asText()).isEqualTo("hello");
      }
      assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("hello");
    }
  }

  @Test
  void aClientWithTheWrongSecretIsRejected() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> serverSide =
          acceptAsync(server)
              .thenAccept(
                  channel -> {
                    try {
                      channel.close();
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  });
      // The client checks the server first: a server without our secret is refused by the client.
      assertThatThrownBy(
              () ->
                  ControlChannel.connect(
                      "127.0.0.1", server.getLocalPort(), ControlChannel.newSecret(), 5000))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("the server does not hold the secret");
      assertThatThrownBy(() -> serverSide.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class);
    }
  }

  @Test
  void aClientThatSkipsTheHandshakeIsRejected() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<ControlChannel> serverSide = acceptAsync(server);
      try (Socket raw = new Socket("127.0.0.1", server.getLocalPort())) {
        DataOutputStream out = new DataOutputStream(raw.getOutputStream());
        byte[] json = "{\"type\":\"register\",\"index\":0}".getBytes("UTF-8");
        out.writeInt(json.length);
        out.write(json);
        out.flush();
        assertThatThrownBy(() -> serverSide.get(5, TimeUnit.SECONDS))
            .hasMessageContaining("Cannot authenticate client: expected hello");
      }
    }
  }

  @Test
  void oversizedMessagesAreRefusedBeforeAllocation() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<ControlChannel> serverSide = acceptAsync(server);
      try (Socket raw = new Socket("127.0.0.1", server.getLocalPort())) {
        DataOutputStream out = new DataOutputStream(raw.getOutputStream());
        out.writeInt(Integer.MAX_VALUE);
        out.flush();
        assertThatThrownBy(() -> serverSide.get(5, TimeUnit.SECONDS))
            .hasMessageContaining("Invalid control message length: 2147483647");
      }
    }
  }

  @Test
  void beforeAuthenticationAMessageOverOneKibibyteIsRefused() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<ControlChannel> serverSide = acceptAsync(server);
      try (Socket raw = new Socket("127.0.0.1", server.getLocalPort())) {
        DataOutputStream out = new DataOutputStream(raw.getOutputStream());
        out.writeInt(ControlChannel.MAX_HANDSHAKE_MESSAGE_BYTES + 1);
        out.flush();
        assertThatThrownBy(() -> serverSide.get(5, TimeUnit.SECONDS))
            .hasMessageContaining(
                "Invalid control message length: 1025 (at most 1024 bytes before authentication)");
      }
    }
  }

  @Test
  void afterAuthenticationMessagesMayBeLarge() throws Exception {
    String text = "x".repeat(1 << 20);
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<ControlChannel> serverSide = acceptAsync(server);
      try (ControlChannel client =
              ControlChannel.connect("127.0.0.1", server.getLocalPort(), SECRET, 5000);
          ControlChannel accepted = serverSide.get(5, TimeUnit.SECONDS)) {
        client.send(ControlChannel.message("big").put("text", text));
        assertThat(accepted.receive().path("text").asText()).hasSize(1 << 20);
      }
    }
  }

  @Test
  void aSilentClientFailsTheHandshakeAtItsDeadline() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<ControlChannel> serverSide = acceptAsync(server, 300);
      try (Socket silent = new Socket("127.0.0.1", server.getLocalPort())) {
        assertThatThrownBy(() -> serverSide.get(10, TimeUnit.SECONDS))
            .hasMessageContaining("Cannot authenticate client")
            .hasMessageContaining("no complete handshake within 300 ms");
        assertThat(HostileClients.isClosedByPeer(silent, 10_000)).isTrue();
      }
    }
  }
}
