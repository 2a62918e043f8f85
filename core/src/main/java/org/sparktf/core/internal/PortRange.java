package org.sparktf.core.internal;

import java.io.IOException;
import java.io.Serializable;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The TCP ports SparkTF's servers may listen on (the driver's coordinator, each node's TensorFlow
 * server and feed endpoint), so that operators can write firewall rules for them. {@link #ANY} lets
 * the operating system pick an ephemeral port.
 */
public final class PortRange implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The Spark configuration key that sets the range when the builder does not. */
  public static final String CONF_KEY = "spark.sparktf.ports";

  /** Any free ephemeral port. */
  public static final PortRange ANY = new PortRange(0, 0);

  private static final String RULE = "it needs 1 <= FROM <= TO <= 65535";

  private final int from;
  private final int to;

  private PortRange(int from, int to) {
    this.from = from;
    this.to = to;
  }

  /**
   * The ports {@code from} to {@code to}, both included.
   *
   * @throws IllegalArgumentException unless 1 <= from <= to <= 65535
   */
  public static PortRange of(int from, int to) {
    if (from < 1 || to > 65_535 || from > to) {
      throw new IllegalArgumentException(
          "Invalid port range " + from + "-" + to + ": " + RULE + ", e.g. 40000-40100");
    }
    return new PortRange(from, to);
  }

  /**
   * Parses {@code FROM-TO} as written in {@link #CONF_KEY}.
   *
   * @throws IllegalArgumentException when the text is not a valid range
   */
  public static PortRange parse(String text) {
    String[] bounds = text.trim().split("\\s*-\\s*", -1);
    try {
      if (bounds.length == 2) {
        return of(Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1]));
      }
    } catch (NumberFormatException e) {
      // Reported below with the expected format.
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Invalid port range in " + CONF_KEY + ": '" + text + "'; " + RULE, e);
    }
    throw new IllegalArgumentException(
        "Invalid port range in "
            + CONF_KEY
            + ": '"
            + text
            + "'; write it as FROM-TO, e.g. 40000-40100");
  }

  public boolean isAny() {
    return from == 0;
  }

  public boolean contains(int port) {
    return isAny() || (port >= from && port <= to);
  }

  /**
   * A server socket bound to a free port of this range on {@code address} (null: every interface).
   * Ports are tried from a random start, so processes that start together rarely try the same port
   * first; a port another process holds is skipped.
   *
   * @throws BindException when every port of the range is in use
   */
  public ServerSocket bind(InetAddress address, int backlog) throws IOException {
    if (isAny()) {
      return bindTo(address, 0, backlog);
    }
    int size = to - from + 1;
    int start = ThreadLocalRandom.current().nextInt(size);
    for (int i = 0; i < size; i++) {
      try {
        return bindTo(address, from + (start + i) % size, backlog);
      } catch (BindException e) {
        // In use: try the next port.
      }
    }
    throw new BindException(
        "Cannot listen on "
            + (address == null ? "any address" : address.getHostAddress())
            + ": every port of the range "
            + this
            + " is in use; widen portRange / "
            + CONF_KEY);
  }

  private static ServerSocket bindTo(InetAddress address, int port, int backlog)
      throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.bind(new InetSocketAddress(address, port), backlog);
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return isAny() ? "any" : from + "-" + to;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PortRange
        && ((PortRange) other).from == from
        && ((PortRange) other).to == to;
  }

  @Override
  public int hashCode() {
    return 31 * from + to;
  }
}
