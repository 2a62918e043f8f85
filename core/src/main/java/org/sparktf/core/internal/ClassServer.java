package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the executor's classes to its node process: the bytes of every {@code .class} resource the
 * task's class loader can find. A node's child JVM starts from the executor's class path, which
 * lacks the classes Spark's executors load at run time: those a Scala REPL or notebook generated on
 * the driver (Spark's executor class loader fetches them from {@code spark.repl.class.uri}, over
 * Spark's own RPC or a file system) and those of jars added to a running session. The node asks for
 * them here ({@link NodeClassLoader}) and so resolves exactly what the executor would, on any
 * cluster manager.
 *
 * <p>It listens on the loopback interface only (the node runs on the same host) and, like every
 * SparkTF socket, admits only peers that prove they hold the cluster's secret.
 */
final class ClassServer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(ClassServer.class);

  static final String REQUEST = "class";

  /** Larger class files cannot travel in one control message (Base64 inflates by a third). */
  static final int MAX_CLASS_BYTES = 3 << 20;

  private final ClassLoader loader;
  private final ControlServer server;

  ClassServer(String node, byte[] secret, ClassLoader loader) throws IOException {
    this.loader = loader;
    this.server =
        new ControlServer(
            "class-server-" + node,
            InetAddress.getLoopbackAddress(),
            PortRange.ANY,
            secret,
            this::serve,
            LOG::warn);
  }

  int port() {
    return server.port();
  }

  private void serve(ControlChannel node) throws IOException {
    while (true) {
      ObjectNode request;
      try {
        request = node.receive();
      } catch (EOFException e) {
        return;
      }
      String name = request.path("name").asText();
      ObjectNode answer = ControlChannel.message(REQUEST).put("name", name);
      byte[] bytes = name.endsWith(".class") ? read(name) : null;
      if (bytes != null) {
        answer.put("bytes", Base64.getEncoder().encodeToString(bytes));
      }
      node.send(answer);
    }
  }

  /** The resource's bytes, or null when the loader has none (or too many to send). */
  private byte[] read(String resource) throws IOException {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        return null;
      }
      byte[] bytes = in.readNBytes(MAX_CLASS_BYTES + 1);
      if (bytes.length > MAX_CLASS_BYTES) {
        LOG.warn(
            "Cannot serve {} to a TensorFlow node: it is over {} bytes", resource, MAX_CLASS_BYTES);
        return null;
      }
      return bytes;
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
