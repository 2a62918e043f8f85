package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node resolves the classes its own class path lacks through its executor's {@link ClassServer}:
 * here the "node" loader's parent is the platform loader, which sees none of this module's classes,
 * and the "executor" serves them from this JVM's class path, over a real authenticated socket.
 */
class NodeClassLoaderTest {
  private final byte[] secret = ControlChannel.newSecret();
  private ClassServer server;
  private NodeClassLoader node;

  /** A class only the executor's loader has, from the node's point of view. */
  static final class Greeting implements Serializable {
    private static final long serialVersionUID = 1L;
    final String to;

    Greeting(String to) {
      this.to = to;
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    server = new ClassServer("test", secret, NodeClassLoaderTest.class.getClassLoader());
    node =
        new NodeClassLoader(
            ClassLoader.getPlatformClassLoader(),
            InetAddress.getLoopbackAddress().getHostAddress(),
            server.port(),
            secret);
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void aClassOnlyTheExecutorHasIsDefinedInTheNodeLoader() throws Exception {
    Class<?> loaded = Class.forName(Greeting.class.getName(), false, node);
    assertThat(loaded.getClassLoader()).isSameAs(node);
    assertThat(loaded).isNotSameAs(Greeting.class);
  }

  @Test
  void aSerializedLambdaDeserializesThroughItsCapturingClassFromTheExecutor() throws Exception {
    String name = "node";
    Supplier<String> lambda = (Supplier<String> & Serializable) () -> "hello " + name;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(lambda);
    }
    Object read = NodeClassLoader.deserialize(bytes.toByteArray(), node);
    assertThat(read.getClass().getClassLoader()).isSameAs(node);
    @SuppressWarnings("unchecked")
    Supplier<String> copy = (Supplier<String>) read;
    assertThat(copy.get()).isEqualTo("hello node");
  }

  @Test
  void aClassNobodyHasIsNotFoundWithWhereItWasLookedFor() {
    assertThatThrownBy(() -> Class.forName("org.sparktf.NoSuchClass", false, node))
        .isInstanceOf(ClassNotFoundException.class)
        .hasMessageContaining(
            "neither on the node's class path nor in its executor's class loader");
  }

  @Test
  void aNodeWithoutTheSecretGetsNoClass() {
    NodeClassLoader stranger =
        new NodeClassLoader(
            ClassLoader.getPlatformClassLoader(),
            InetAddress.getLoopbackAddress().getHostAddress(),
            server.port(),
            ControlChannel.newSecret());
    assertThatThrownBy(() -> Class.forName(Greeting.class.getName(), false, stranger))
        .isInstanceOf(ClassNotFoundException.class)
        .hasMessageContaining(
            "Cannot load class " + Greeting.class.getName() + " from the executor");
  }
}
