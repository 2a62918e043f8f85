package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;
import java.util.Base64;

/**
 * The node process's loader for the classes of the user's functions: its own class path first, then
 * its executor's task class loader, asked through the executor's {@link ClassServer}. Thus a
 * function (a lambda or anonymous class included) that a Scala REPL or notebook defined on the
 * driver deserializes and runs in the node as it would in a Spark task.
 */
final class NodeClassLoader extends ClassLoader {
  static {
    registerAsParallelCapable();
  }

  private static final int REQUEST_TIMEOUT_MILLIS = 60_000;

  private final String host;
  private final int port;
  private final byte[] secret;
  // Opened on the first class the node's own class path lacks; guarded by this loader's lock.
  private ControlChannel executor;

  NodeClassLoader(ClassLoader parent, String host, int port, byte[] secret) {
    super("sparktf-node", parent);
    this.host = host;
    this.port = port;
    this.secret = secret.clone();
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] bytes;
    try {
      bytes = fetch(name.replace('.', '/') + ".class");
    } catch (IOException e) {
      throw new ClassNotFoundException(
          "Cannot load class " + name + " from the executor (port " + port + "): " + e, e);
    }
    if (bytes == null) {
      throw new ClassNotFoundException(
          name + " (neither on the node's class path nor in its executor's class loader)");
    }
    return defineClass(name, bytes, 0, bytes.length);
  }

  private synchronized byte[] fetch(String resource) throws IOException {
    if (executor == null) {
      executor =
          ControlChannel.connect(host, port, secret, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS);
      executor.readTimeout(REQUEST_TIMEOUT_MILLIS);
    }
    try {
      executor.send(ControlChannel.message(ClassServer.REQUEST).put("name", resource));
      ObjectNode answer = executor.receive();
      if (!resource.equals(answer.path("name").asText())) {
        throw new IOException("Invalid answer for " + resource + ": " + answer.path("name"));
      }
      return answer.hasNonNull("bytes")
          ? Base64.getDecoder().decode(answer.get("bytes").asText())
          : null;
    } catch (IOException e) {
      // A broken channel is opened anew on the next request.
      executor.close();
      executor = null;
      throw e;
    }
  }

  /** Deserializes {@code bytes}, resolving classes through {@code loader}. */
  static Object deserialize(byte[] bytes, ClassLoader loader)
      throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new LoaderInput(new ByteArrayInputStream(bytes), loader)) {
      return in.readObject();
    }
  }

  private static final class LoaderInput extends ObjectInputStream {
    private final ClassLoader loader;

    LoaderInput(InputStream in, ClassLoader loader) throws IOException {
      super(in);
      this.loader = loader;
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc)
        throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, loader);
      } catch (ClassNotFoundException e) {
        // Primitive types have no class file anywhere.
        return super.resolveClass(desc);
      }
    }
  }
}
