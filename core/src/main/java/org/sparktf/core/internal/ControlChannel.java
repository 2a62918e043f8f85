package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An authenticated socket between SparkTF processes (driver, executors, node processes). Both ends
 * prove they hold the cluster's secret with HMAC-SHA256 over fresh nonces, so the secret never
 * crosses the wire. Control messages are length-prefixed JSON objects of bounded size; nothing is
 * ever deserialized as a Java object. After the handshake the data streams may also carry binary
 * frames (the feed protocol).
 */
public final class ControlChannel implements Closeable {
  /**
   * How long a whole handshake may take, connecting included: a bound on the total, not on each
   * read, so a peer that trickles bytes cannot hold a connection open for longer.
   */
  public static final int HANDSHAKE_TIMEOUT_MILLIS = 30_000;

  /** Control messages larger than this are rejected: they can only be garbage or an attack. */
  static final int MAX_MESSAGE_BYTES = 4 << 20;

  /**
   * Before the peer proved it holds the secret, messages are at most this long (a handshake message
   * is under 100 bytes), so an unauthenticated peer cannot make a server allocate much.
   */
  static final int MAX_HANDSHAKE_MESSAGE_BYTES = 1024;

  private static final long RETRY_PAUSE_MILLIS = 200;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Socket socket;
  private final DeadlineInput deadline;
  private final DataInputStream in;
  private final DataOutputStream out;
  private int maxMessageBytes = MAX_HANDSHAKE_MESSAGE_BYTES; // Raised once authenticated.

  /** A channel whose handshake must end within {@code timeoutMillis} of {@code startNanos}. */
  private ControlChannel(Socket socket, long startNanos, int timeoutMillis) throws IOException {
    this.socket = socket;
    socket.setTcpNoDelay(true);
    this.deadline = new DeadlineInput(socket, startNanos + timeoutMillis * 1_000_000L);
    this.in = new DataInputStream(new BufferedInputStream(deadline, 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
  }

  /** The handshake succeeded: lift its deadline and its message cap. */
  private void authenticated() throws IOException {
    deadline.lift();
    maxMessageBytes = MAX_MESSAGE_BYTES;
  }

  /** A new random secret for one cluster. */
  public static byte[] newSecret() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return secret;
  }

  /**
   * Connects and authenticates as a client; the server must prove it holds the secret too. Both
   * together take at most {@code timeoutMillis}. A server that drops the connection before its
   * challenge (it does when too many unauthenticated connections are pending) is tried again until
   * the time is up.
   */
  public static ControlChannel connect(String host, int port, byte[] secret, int timeoutMillis)
      throws IOException {
    long start = System.nanoTime();
    while (true) {
      try {
        return connectOnce(host, port, secret, start, timeoutMillis);
      } catch (DroppedBeforeChallenge e) {
        long leftMillis = timeoutMillis - (System.nanoTime() - start) / 1_000_000L;
        if (leftMillis <= RETRY_PAUSE_MILLIS) {
          throw new IOException(
              "Cannot authenticate to "
                  + host
                  + ":"
                  + port
                  + ": the server dropped every connection before its handshake for "
                  + timeoutMillis
                  + " ms ("
                  + e.getCause()
                  + "); it may be flooded with unauthenticated connections",
              e.getCause());
        }
        LockSupport.parkNanos(RETRY_PAUSE_MILLIS * 1_000_000L);
      }
    }
  }

  private static ControlChannel connectOnce(
      String host, int port, byte[] secret, long start, int timeoutMillis) throws IOException {
    Socket socket = new Socket();
    try {
      long leftMillis = timeoutMillis - (System.nanoTime() - start) / 1_000_000L;
      socket.connect(new InetSocketAddress(host, port), (int) Math.max(1, leftMillis));
      ControlChannel channel = new ControlChannel(socket, start, timeoutMillis);
      String clientNonce = nonce();
      ObjectNode challenge;
      try {
        channel.send(message("hello").put("nonce", clientNonce));
        challenge = channel.receive();
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        throw new DroppedBeforeChallenge(e);
      }
      if (!"challenge".equals(challenge.path("type").asText())) {
        throw new IOException("Cannot authenticate to " + host + ":" + port + ": " + challenge);
      }
      if (!matches(proof(secret, "server", clientNonce), challenge.path("proof").asText())) {
        throw new IOException(
            "Cannot authenticate to "
                + host
                + ":"
                + port
                + ": the server does not hold the secret");
      }
      channel.send(
          message("auth").put("proof", proof(secret, "client", challenge.path("nonce").asText())));
      ObjectNode verdict = channel.receive();
      if (!"welcome".equals(verdict.path("type").asText())) {
        throw new IOException(
            "Cannot authenticate to "
                + host
                + ":"
                + port
                + ": "
                + verdict.path("message").asText());
      }
      channel.authenticated();
      return channel;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Authenticates an accepted socket as the server, within {@code timeoutMillis} in all. Closes the
   * socket and throws when the client does not prove it holds the secret in time.
   */
  public static ControlChannel accept(Socket socket, byte[] secret, int timeoutMillis)
      throws IOException {
    try {
      ControlChannel channel = new ControlChannel(socket, System.nanoTime(), timeoutMillis);
      ObjectNode hello = channel.receive();
      if (!"hello".equals(hello.path("type").asText())) {
        throw new IOException("Cannot authenticate client: expected hello");
      }
      String serverNonce = nonce();
      channel.send(
          message("challenge")
              .put("nonce", serverNonce)
              .put("proof", proof(secret, "server", hello.path("nonce").asText())));
      ObjectNode auth = channel.receive();
      if (!matches(proof(secret, "client", serverNonce), auth.path("proof").asText())) {
        channel.send(message("error").put("message", "wrong secret"));
        throw new IOException(
            "Cannot authenticate client " + socket.getRemoteSocketAddress() + ": wrong secret");
      }
      channel.send(message("welcome"));
      channel.authenticated();
      return channel;
    } catch (SocketTimeoutException e) {
      socket.close();
      SocketTimeoutException timeout =
          new SocketTimeoutException(
              "Cannot authenticate client "
                  + socket.getRemoteSocketAddress()
                  + ": no complete handshake within "
                  + timeoutMillis
                  + " ms");
      timeout.initCause(e);
      throw timeout;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** A new message of the given type. */
  public static ObjectNode message(String type) {
    return JSON.createObjectNode().put("type", type);
  }

  /** Sends one JSON message. Safe to call from several threads. */
  public void send(ObjectNode message) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(message);
    synchronized (out) {
      out.writeInt(bytes.length);
      out.write(bytes);
      out.flush();
    }
  }

  /** Receives one JSON message; EOFException when the peer closed the channel. */
  public ObjectNode receive() throws IOException {
    int length = in.readInt();
    if (length < 0 || length > maxMessageBytes) {
      throw new IOException(
          "Invalid control message length: "
              + length
              + " (at most "
              + maxMessageBytes
              + " bytes"
              + (maxMessageBytes == MAX_HANDSHAKE_MESSAGE_BYTES ? " before authentication)" : ")"));
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(bytes);
    if (!(node instanceof ObjectNode)) {
      throw new IOException("Invalid control message: not a JSON object");
    }
    return (ObjectNode) node;
  }

  /** The raw input, for binary frames after the handshake. */
  public DataInputStream input() {
    return in;
  }

  /** The raw output, for binary frames after the handshake; the caller flushes. */
  public DataOutputStream output() {
    return out;
  }

  /** Bounds every later read; 0 waits forever. */
  public void readTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  static boolean isEof(IOException e) {
    return e instanceof EOFException || socketClosed(e);
  }

  private static boolean socketClosed(IOException e) {
    String message = String.valueOf(e.getMessage());
    return message.contains("Socket closed") || message.contains("Connection reset");
  }

  /**
   * The socket's input with an overall deadline: each read waits at most the time left, and none
   * starts after the deadline.
   */
  private static final class DeadlineInput extends FilterInputStream {
    private final Socket socket;
    private final long deadlineNanos;
    // Volatile: after the handshake another thread may do the reading.
    private volatile boolean lifted;

    DeadlineInput(Socket socket, long deadlineNanos) throws IOException {
      super(socket.getInputStream());
      this.socket = socket;
      this.deadlineNanos = deadlineNanos;
    }

    void lift() throws IOException {
      lifted = true;
      socket.setSoTimeout(0);
    }

    @Override
    public int read() throws IOException {
      beforeRead();
      return super.read();
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      beforeRead();
      return super.read(buffer, offset, length);
    }

    private void beforeRead() throws IOException {
      if (lifted) {
        return;
      }
      long leftMillis = (deadlineNanos - System.nanoTime() + 999_999L) / 1_000_000L;
      if (leftMillis <= 0) {
        throw new SocketTimeoutException("Handshake deadline passed");
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, leftMillis));
    }
  }

  /** The server closed the connection before it sent its challenge. */
  private static final class DroppedBeforeChallenge extends IOException {
    private static final long serialVersionUID = 1L;

    DroppedBeforeChallenge(IOException cause) {
      super(cause);
    }
  }

  private static String nonce() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static String proof(byte[] secret, String side, String nonce) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] digest = mac.doFinal((side + "|" + nonce).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(digest);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("Cannot compute HMAC-SHA256", e);
    }
  }

  private static boolean matches(String expected, String actual) {
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII), actual.getBytes(StandardCharsets.US_ASCII));
  }
}
