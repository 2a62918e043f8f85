package org.sparktf.core.internal;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetTarget;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ConfigProto;

/**
 * Opens TensorFlow sessions on a remote target ("grpc://host:port"). TF Java 1.1.0 only opens
 * in-process sessions, so this creates the native session with the C API's {@code TF_SetTarget} and
 * wraps it in a {@link Session} through that class's package-private constructor. All the
 * reflection on TF Java internals lives here.
 */
public final class GrpcSessions {
  private static final Constructor<Session> WRAP;
  private static final Method GRAPH_REF;
  private static final Method REF_HANDLE;
  private static final Method MARK_INITIALIZED;

  static {
    try {
      WRAP = Session.class.getDeclaredConstructor(Graph.class, TF_Session.class);
      WRAP.setAccessible(true);
      GRAPH_REF = Graph.class.getDeclaredMethod("ref");
      GRAPH_REF.setAccessible(true);
      REF_HANDLE =
          Class.forName("org.tensorflow.Graph$Reference").getDeclaredMethod("nativeHandle");
      REF_HANDLE.setAccessible(true);
      MARK_INITIALIZED = Session.class.getDeclaredMethod("markAllInitializersAsRan");
      MARK_INITIALIZED.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(
          "Cannot find TF Java's Session(Graph, TF_Session) constructor or Graph.ref(): this "
              + "SparkTF build supports tensorflow-core-api 1.1.0 ("
              + e
              + ")");
    }
  }

  private GrpcSessions() {}

  /**
   * Marks the graph's variable initializers as already run in this session, so it never runs them:
   * on a non-chief worker they would reset variables the chief initialized on the parameter
   * servers.
   */
  public static void markInitialized(Session session) {
    try {
      MARK_INITIALIZED.invoke(session);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Cannot mark the session's initializers as run", e);
    }
  }

  /**
   * Opens a session that runs {@code graph} through the TensorFlow server at {@code target}.
   *
   * @param target "grpc://host:port", or "" for an in-process session
   * @return a session the caller closes before closing the graph
   */
  public static Session open(Graph graph, String target, ConfigProto config) {
    try (PointerScope scope = new PointerScope();
        AutoCloseable graphRef = (AutoCloseable) GRAPH_REF.invoke(graph)) {
      TF_Graph graphHandle = (TF_Graph) REF_HANDLE.invoke(graphRef);
      TF_Status status = TF_Status.newStatus();
      TF_SessionOptions options = TF_SessionOptions.newSessionOptions();
      TF_SetTarget(options, target);
      BytePointer configBytes = new BytePointer(config.toByteArray());
      TF_SetConfig(options, configBytes, configBytes.capacity(), status);
      status.throwExceptionIfNotOK();
      TF_Session session = TF_Session.newSession(graphHandle, options, status);
      status.throwExceptionIfNotOK();
      // Keep the native session alive after this pointer scope closes; the Session owns it now.
      session.retainReference();
      return WRAP.newInstance(graph, session);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(
          "Cannot open a TensorFlow session on " + target + ": " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Cannot open a TensorFlow session on " + target, e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "Cannot open a TensorFlow session on " + target + ": " + e.getMessage(), e);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot open a TensorFlow session on " + target, e);
    }
  }
}
