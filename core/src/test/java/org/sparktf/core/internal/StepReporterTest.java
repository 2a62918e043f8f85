package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StepReporterTest {
  private static final byte[] SECRET = ControlChannel.newSecret();
  private static final int TRAFFIC = 200_000;

  /**
   * Slow steps send their totals at once, but the byte counters only every 5 s: the totals at the
   * end must still carry the traffic of the last steps. The traffic: real bytes over a real
   * loopback connection to a port standing for a TensorFlow server, counted by the kernel.
   */
  @Test
  void theLastTotalsCarryTheTrafficOfTheLastStepsEvenWhenTheyWentOutAlready() throws Exception {
    AtomicLong clock = new AtomicLong(10_000_000_000L);
    try (ServerSocket tfServer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), tfServer.getLocalPort());
        Socket server = tfServer.accept();
        ServerSocket driverServer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<List<ObjectNode>> received =
          CompletableFuture.supplyAsync(() -> receiveUntilDone(driverServer));
      try (ControlChannel node =
          ControlChannel.connect("127.0.0.1", driverServer.getLocalPort(), SECRET, 5000)) {
        StepReporter reporter =
            new StepReporter(
                node,
                new SocketBytes(Set.of(tfServer.getLocalPort())),
                () -> 0,
                () -> 0L,
                clock::get);
        reporter.step(1, 0.5, 10, 1_000_000_000L, 0);
        send(client, server, TRAFFIC);
        clock.addAndGet(1_500_000_000L); // A second step 1.5 s later: sent at once, old counters.
        reporter.step(2, 0.4, 10, 1_000_000_000L, 0);
        reporter.flush();
        node.send(ControlChannel.message("done"));
      }
      List<ObjectNode> messages = received.get(30, TimeUnit.SECONDS);
      assertThat(messages).hasSizeGreaterThanOrEqualTo(2);
      ObjectNode first = messages.get(0);
      ObjectNode last = messages.get(messages.size() - 1);
      assertThat(last.path("steps").asLong()).isEqualTo(2);
      // Both ends of the connection are this process's: the server end received the traffic.
      assertThat(last.path("grpcBytesReceived").asLong())
          .isGreaterThanOrEqualTo(first.path("grpcBytesReceived").asLong() + TRAFFIC);
    }
  }

  /** Writes {@code bytes} on {@code from} and reads them all on {@code to}. */
  private static void send(Socket from, Socket to, int bytes) throws IOException {
    OutputStream out = from.getOutputStream();
    out.write(new byte[bytes]);
    out.flush();
    to.setSoTimeout(10_000);
    new DataInputStream(to.getInputStream()).readFully(new byte[bytes]);
  }

  private static Socket acceptWithin(ServerSocket server, int millis) throws IOException {
    server.setSoTimeout(millis);
    return server.accept();
  }

  private static List<ObjectNode> receiveUntilDone(ServerSocket server) {
    List<ObjectNode> progress = new ArrayList<>();
    try (Socket socket = acceptWithin(server, 10_000);
        ControlChannel driver = ControlChannel.accept(socket, SECRET, 10_000)) {
      driver.readTimeout(20_000);
      for (ObjectNode message = driver.receive();
          !message.path("type").asText().equals("done");
          message = driver.receive()) {
        progress.add(message);
      }
      return progress;
    } catch (IOException e) {
      throw new RuntimeException("Cannot receive the progress messages: " + e, e);
    }
  }
}
