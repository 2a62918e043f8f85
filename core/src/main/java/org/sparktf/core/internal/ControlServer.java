package org.sparktf.core.internal;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A listening socket whose connections must authenticate ({@link ControlChannel#accept}) before a
 * {@link Handler} sees them, on one thread per connection.
 *
 * <p>Anyone who can reach the port can connect, so what an unauthenticated peer may hold is
 * bounded: at most {@code maxPending} connections may be in their handshake at once, each for at
 * most the handshake timeout in all, with messages of at most {@link
 * ControlChannel#MAX_HANDSHAKE_MESSAGE_BYTES}. When all pending slots are taken, a new connection
 * evicts the oldest pending one if that has been pending for a while (a real peer's handshake takes
 * milliseconds, so the oldest is almost surely junk), and is closed at once otherwise. Hundreds of
 * idle or trickling connections thus cost a bounded number of threads and buffers and do not lock
 * out the cluster's own processes.
 */
public final class ControlServer implements Closeable {
  /** What the server does with an authenticated connection, on that connection's thread. */
  public interface Handler {
    /** Serves the connection until it ends; the server closes the channel afterwards. */
    void serve(ControlChannel channel) throws IOException, InterruptedException;
  }

  /** At most this many connections may be in their handshake at once. */
  public static final int MAX_PENDING = 16;

  private static final int BACKLOG = 64;
  private static final long EVICT_AFTER_MILLIS = 2_000;
  // A flood of junk connections must not become a flood of log lines.
  private static final long WARNING_INTERVAL_NANOS = 10_000_000_000L;

  private final String name;
  private final byte[] secret;
  private final Handler handler;
  private final Consumer<String> warnings;
  private final int handshakeTimeoutMillis;
  private final int maxPending;
  private final long evictAfterNanos;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  // Connections in their handshake, oldest first. Guarded by itself.
  private final Map<Socket, Pending> pending = new LinkedHashMap<>();
  private volatile boolean closed;
  // Guarded by pending.
  private long lastWarningNanos;
  private boolean warned;
  private int unwarned;

  /**
   * Listens on a port of {@code ports} on {@code address} (null: every interface) with the default
   * limits.
   *
   * @param name names the threads ({@code sparktf-<name>-...}) and the warnings
   * @param warnings receives one line per rejected or failed connection
   */
  public ControlServer(
      String name,
      InetAddress address,
      PortRange ports,
      byte[] secret,
      Handler handler,
      Consumer<String> warnings)
      throws IOException {
    this(
        name,
        address,
        ports,
        secret,
        handler,
        warnings,
        ControlChannel.HANDSHAKE_TIMEOUT_MILLIS,
        MAX_PENDING);
  }

  /** The same with other limits (tests shorten the handshake timeout). */
  public ControlServer(
      String name,
      InetAddress address,
      PortRange ports,
      byte[] secret,
      Handler handler,
      Consumer<String> warnings,
      int handshakeTimeoutMillis,
      int maxPending)
      throws IOException {
    this.name = name;
    this.secret = secret.clone();
    this.handler = handler;
    this.warnings = warnings;
    this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    this.maxPending = maxPending;
    this.evictAfterNanos = Math.min(EVICT_AFTER_MILLIS, handshakeTimeoutMillis / 2) * 1_000_000L;
    this.server = ports.bind(address, BACKLOG);
    this.acceptor = new Thread(this::acceptLoop, "sparktf-" + name + "-accept-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The name of the threads serving connections still in their handshake. */
  public String handshakeThreadName() {
    return "sparktf-" + name + "-handshake";
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Stops accepting new connections; the open ones go on. */
  public void stopAccepting() {
    closeQuietly(server);
  }

  /** Stops accepting and closes every connection, authenticated or not. */
  @Override
  public void close() {
    closed = true;
    stopAccepting();
    for (Socket socket : sockets) {
      closeQuietly(socket);
    }
  }

  /** Waits up to {@code timeoutMillis} in all for the acceptor and every connection's thread. */
  public void awaitThreads(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    acceptor.join(Math.max(1, timeoutMillis));
    for (Thread thread : threads) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return;
      }
      if (thread != Thread.currentThread()) {
        thread.join(left);
      }
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!server.isClosed()) {
          warnings.accept("The SparkTF " + name + " cannot accept a connection: " + e);
          // Out of file descriptors, say: do not spin while it lasts.
          LockSupport.parkNanos(100_000_000L);
        }
        continue;
      }
      try {
        admit(socket);
      } catch (InterruptedException e) {
        closeQuietly(socket);
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Starts the handshake of a new connection, or closes it when too many are pending. */
  private void admit(Socket socket) throws InterruptedException {
    Pending evicted = null;
    synchronized (pending) {
      if (pending.size() >= maxPending) {
        Pending oldest = pending.values().iterator().next();
        if (System.nanoTime() - oldest.sinceNanos < evictAfterNanos) {
          refuse(socket, "too many connections are in their handshake");
          return;
        }
        pending.remove(oldest.socket);
        evicted = oldest;
      }
    }
    if (evicted != null) {
      closeQuietly(evicted.socket);
      // Closing wakes the blocked read at once; waiting keeps the thread count within the bound.
      evicted.thread.join(1_000);
      if (evicted.thread.isAlive()) {
        refuse(socket, "a connection it evicted has not ended yet");
        return;
      }
      unauthenticated(
          "closed the connection from "
              + evicted.socket.getRemoteSocketAddress()
              + ": its handshake had not finished, and a new connection needed its place");
    }
    Thread thread = new Thread(() -> serve(socket), handshakeThreadName());
    thread.setDaemon(true);
    synchronized (pending) {
      pending.put(socket, new Pending(socket, thread, System.nanoTime()));
    }
    sockets.add(socket);
    threads.add(thread);
    if (closed) {
      // close() ran meanwhile and did not see this socket.
      closeQuietly(socket);
    }
    thread.start();
  }

  private void refuse(Socket socket, String reason) {
    unauthenticated("refused a connection from " + socket.getRemoteSocketAddress() + ": " + reason);
    closeQuietly(socket);
  }

  /** Warns about a connection that did not authenticate, at most once per interval. */
  private void unauthenticated(String what) {
    String line;
    synchronized (pending) {
      long now = System.nanoTime();
      if (warned && now - lastWarningNanos < WARNING_INTERVAL_NANOS) {
        unwarned++;
        return;
      }
      line =
          "The SparkTF "
              + name
              + " "
              + what
              + (unwarned == 0
                  ? ""
                  : " (and "
                      + unwarned
                      + " more unauthenticated connections since the last warning)");
      warned = true;
      lastWarningNanos = now;
      unwarned = 0;
    }
    warnings.accept(line);
  }

  private void serve(Socket socket) {
    try {
      ControlChannel channel;
      try {
        channel = ControlChannel.accept(socket, secret, handshakeTimeoutMillis);
      } catch (IOException e) {
        if (!closed) {
          unauthenticated(
              "rejected a connection from " + socket.getRemoteSocketAddress() + ": " + e);
        }
        return;
      }
      synchronized (pending) {
        if (pending.remove(socket) == null) {
          // Evicted while it finished: the socket is closed already.
          return;
        }
      }
      Thread.currentThread().setName("sparktf-" + name + "-connection");
      try (channel) {
        handler.serve(channel);
      } catch (IOException e) {
        if (!closed) {
          warnings.accept(
              "The SparkTF "
                  + name
                  + " lost the connection from "
                  + socket.getRemoteSocketAddress()
                  + ": "
                  + e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      synchronized (pending) {
        pending.remove(socket);
      }
      closeQuietly(socket);
      sockets.remove(socket);
      threads.remove(Thread.currentThread());
    }
  }

  private static void closeQuietly(Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // Closing is all that is wanted.
    }
  }

  private static final class Pending {
    final Socket socket;
    final Thread thread;
    final long sinceNanos;

    Pending(Socket socket, Thread thread, long sinceNanos) {
      this.socket = socket;
      this.thread = thread;
      this.sinceNanos = sinceNanos;
    }
  }
}
