package org.sparktf.ml.internal;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
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

  /** Writes {@code function} to {@code file}, which must not exist. */
  public static void save(ModelFunction function, Path file, Configuration conf) {
    try (ObjectOutputStream out =
        new ObjectOutputStream(file.getFileSystem(conf).create(file, false))) {
      out.writeObject(function);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot save the model function to " + file + ": " + e.getMessage(), e);
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
