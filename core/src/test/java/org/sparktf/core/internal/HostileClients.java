package org.sparktf.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections to a SparkTF port from peers that never authenticate: each announces a 4 MiB message
 * and sends nothing more, connects and stays silent, or trickles a message one byte at a time.
 * {@link #close()} closes every one of them.
 */
public final class HostileClients implements AutoCloseable {
  /** A length prefix of 4 MiB, the old cap on any control message. */
  private static final byte[] HUGE_LENGTH = {0x00, 0x40, 0x00, 0x00};

  /** A length prefix of 1000 bytes: under the pre-auth cap, so the server waits for the rest. */
  private static final byte[] SLOW_LENGTH = {0x00, 0x00, 0x03, (byte) 0xE8};

  private final String host;
  private final int port;
  private final List<Socket> sockets = new ArrayList<>();
  private final List<Socket> tricklers = new ArrayList<>();
  private int trickled; // Bytes each trickling connection sent so far.

  public HostileClients(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** Opens {@code n} connections that each send a 4 MiB length prefix and nothing more. */
  public HostileClients hugeLengths(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      Socket socket = open();
      try {
        socket.getOutputStream().write(HUGE_LENGTH);
        socket.getOutputStream().flush();
      } catch (IOException e) {
        // The server may close it at once: that is what it should do.
      }
    }
    return this;
  }

  /** Opens {@code n} connections that send nothing at all. */
  public HostileClients silent(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      open();
    }
    return this;
  }

  /** Opens {@code n} connections that {@link #trickle} one byte at a time. */
  public HostileClients tricklers(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      tricklers.add(open());
    }
    return this;
  }

  /**
   * Sends the next byte of a 1000-byte message on every trickling connection the server has not
   * closed yet: first the length prefix, then spaces.
   */
  public void trickle() {
    int next = trickled < SLOW_LENGTH.length ? SLOW_LENGTH[trickled] : ' ';
    trickled++;
    for (Socket socket : tricklers) {
      try {
        socket.getOutputStream().write(next);
        socket.getOutputStream().flush();
      } catch (IOException e) {
        // Closed by the server.
      }
    }
  }

  /** How many connections are open. */
  public int size() {
    return sockets.size();
  }

  /**
   * How many connections the server has closed, judged by a look of at most {@code waitMillis} at
   * each.
   */
  public int closedByServer(int waitMillis) {
    int closed = 0;
    for (Socket socket : sockets) {
      closed += isClosedByPeer(socket, waitMillis) ? 1 : 0;
    }
    return closed;
  }

  /**
   * Whether the peer closed {@code socket}: a read sees the end of the stream or a reset within
   * {@code waitMillis}. Data the server sent is skipped.
   */
  public static boolean isClosedByPeer(Socket socket, int waitMillis) {
    try {
      socket.setSoTimeout(waitMillis);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[256];
      while (true) {
        if (in.read(buffer) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Writes {@code bytes} and flushes. */
  public static void write(Socket socket, byte[] bytes) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(bytes);
    out.flush();
  }

  /** The live threads of this JVM whose name is {@code name}. */
  public static long threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> t.getName().equals(name))
        .count();
  }

  /** The heap in use after a full collection, in bytes. */
  public static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    memory.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  private Socket open() throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.connect(new InetSocketAddress(host, port), 10_000);
    return socket;
  }

  @Override
  public void close() {
    for (Socket socket : sockets) {
      try {
        socket.close();
      } catch (IOException e) {
        // Closing is all that is wanted.
      }
    }
  }
}
