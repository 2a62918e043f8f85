package org.sparktf.ml.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.SerializedLambda;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.sparktf.ml.model.ModelFunction;

/**
 * A saved TFEstimator's model function, {@code data/modelFunction.ser}: Java-serialized as Spark
 * ships closures, and read back only through a {@link ModelFunctionFilter}.
 */
public final class ModelFunctionStore {
  /** Spark conf: further classes a saved model function may hold, as a JDK filter pattern. */
  public static final String ALLOWED_CLASSES_CONF = "spark.sparktf.modelFunction.allowedClasses";

  private ModelFunctionStore() {}

  /**
   * The bytes {@link #save} writes.
   *
   * @throws IllegalStateException when the function holds a class a Scala REPL or notebook
   *     generated: no other session has it, so the saved function could never be loaded
   */
  public static byte[] serialize(ModelFunction function, String path) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ReplClassFinder out = new ReplClassFinder(bytes)) {
      out.writeObject(function);
      out.flush();
    } catch (ReplClassFound e) {
      throw new IllegalStateException(
          "Cannot save TFEstimator to "
              + path
              + ": its model function uses "
              + e.getMessage()
              + ", a class the Scala REPL or notebook of this session generated, which no other"
              + " session can load. Define the model function in a compiled class on the"
              + " classpath (a jar added with --jars or the notebook's dependencies) to save the"
              + " estimator, or save the fitted TFModel, which holds no function.");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot save TFEstimator to " + path + ": its model function: " + e.getMessage(), e);
    }
    return bytes.toByteArray();
  }

  /** Writes {@code bytes} (from {@link #serialize}) to {@code file}, which must not exist. */
  public static void save(byte[] bytes, Path file, Configuration conf) {
    try (OutputStream out = file.getFileSystem(conf).create(file, false)) {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot save the model function to " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether a Scala REPL generated {@code type}: its wrappers live in packages {@code $lineN}
   * (Scala 2's REPL, spark-shell, Zeppelin) and come from the REPL's in-memory class loader.
   */
  static boolean isReplClass(Class<?> type) {
    if (REPL_PACKAGE.matcher(type.getName()).lookingAt()) {
      return true;
    }
    ClassLoader loader = type.getClassLoader();
    for (Class<?> c = loader == null ? null : loader.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().endsWith(".AbstractFileClassLoader")) {
        return true;
      }
    }
    return false;
  }

  private static final Pattern REPL_PACKAGE = Pattern.compile("\\$line\\d+\\.");

  /**
   * Serializes, noting the first REPL class among those it writes (lambdas' capturing ones too).
   */
  /**
   * Serializes, stopping at the first REPL class among the objects and classes it writes, before
   * anything else about them can fail (a REPL lambda's wrapper often cannot be serialized).
   */
  private static final class ReplClassFinder extends ObjectOutputStream {
    ReplClassFinder(OutputStream out) throws IOException {
      super(out);
      enableReplaceObject(true);
    }

    @Override
    protected Object replaceObject(Object object) throws IOException {
      if (object instanceof SerializedLambda) {
        String capturing = ((SerializedLambda) object).getCapturingClass().replace('/', '.');
        if (REPL_PACKAGE.matcher(capturing).lookingAt()) {
          throw new ReplClassFound(capturing);
        }
      } else if (object != null && isReplClass(object.getClass())) {
        throw new ReplClassFound(object.getClass().getName());
      }
      return object;
    }

    @Override
    protected void annotateClass(Class<?> type) throws IOException {
      if (isReplClass(type)) {
        throw new ReplClassFound(type.getName());
      }
    }
  }

  private static final class ReplClassFound extends IOException {
    private static final long serialVersionUID = 1L;

    ReplClassFound(String replClass) {
      super(replClass);
    }
  }

  /**
   * Reads the model function in {@code file}, admitting only the classes {@link
   * ModelFunctionFilter} admits (plus {@code allowedClasses}, a JDK filter pattern, may be empty).
   */
  public static ModelFunction load(Path file, Configuration conf, String allowedClasses) {
    ModelFunctionFilter filter = new ModelFunctionFilter(allowedClasses);
    Object read;
    try (ObjectInputStream in = new ObjectInputStream(file.getFileSystem(conf).open(file))) {
      in.setObjectInputFilter(filter);
      read = in.readObject();
    } catch (IOException | ClassNotFoundException e) {
      String reason =
          filter.rejection() != null
              ? filter.rejection()
              : e + "; its classes must be on the classpath";
      throw new IllegalStateException(
          "Cannot load the model function from " + file + ": " + reason, e);
    }
    if (!(read instanceof ModelFunction)) {
      throw new IllegalStateException(
          "Cannot load the model function from "
              + file
              + ": it holds a "
              + (read == null ? "null" : read.getClass().getName())
              + ", not a ModelFunction");
    }
    return (ModelFunction) read;
  }
}
