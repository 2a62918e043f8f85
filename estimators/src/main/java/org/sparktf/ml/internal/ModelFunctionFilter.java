package org.sparktf.ml.internal;

import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import org.sparktf.ml.model.ModelFunction;

/**
 * Admits into a model-function stream only what a model function is made of, and refuses every
 * other class before anything of it is read: write access to a saved TFEstimator must not mean code
 * execution on the driver that loads it (through the readObject, readResolve or hashCode of some
 * class on the classpath). Admitted:
 *
 * <ul>
 *   <li>classes implementing {@link ModelFunction}, and their superclasses;
 *   <li>lambdas ({@link SerializedLambda}: only the class that defines a lambda can re-create it);
 *   <li>primitives, boxed primitives, String, enums and arrays of admitted types;
 *   <li>java.util collections and maps, except the sorted ones and PriorityQueue, which would call
 *       a comparator read from the stream;
 *   <li>classes that are not Serializable: the stream can name them (the class that defines a
 *       lambda) but not make instances of them;
 *   <li>classes the application admits with a JDK filter pattern ({@code allowedClasses}).
 * </ul>
 *
 * <p>It also bounds the stream: nesting depth, object count, bytes and array lengths. One instance
 * filters one stream.
 */
public final class ModelFunctionFilter implements ObjectInputFilter {
  static final long MAX_DEPTH = 64;
  static final long MAX_REFERENCES = 100_000;
  static final long MAX_BYTES = 64L << 20;
  static final long MAX_ARRAY_LENGTH = 16L << 20;
  private static final Set<Class<?>> VALUES =
      Set.of(
          String.class,
          Boolean.class,
          Character.class,
          Byte.class,
          Short.class,
          Integer.class,
          Long.class,
          Float.class,
          Double.class,
          Number.class,
          Enum.class,
          SerializedLambda.class);

  private final ObjectInputFilter allowedClasses;
  private final List<Class<?>> modelClasses = new ArrayList<>();
  private String rejection;

  /**
   * @param allowedClasses further classes to admit, a JDK filter pattern such as {@code
   *     com.example.model.*;com.example.Config} (see {@link
   *     ObjectInputFilter.Config#createFilter}); empty for none
   */
  public ModelFunctionFilter(String allowedClasses) {
    this.allowedClasses =
        allowedClasses == null || allowedClasses.isBlank()
            ? null
            : ObjectInputFilter.Config.createFilter(allowedClasses);
  }

  /** Why the stream was refused, or null when it was not. */
  public String rejection() {
    return rejection;
  }

  @Override
  public Status checkInput(FilterInfo info) {
    if (info.depth() > MAX_DEPTH) {
      return reject("objects nest deeper than " + MAX_DEPTH);
    }
    if (info.references() > MAX_REFERENCES) {
      return reject("it holds more than " + MAX_REFERENCES + " objects");
    }
    if (info.streamBytes() > MAX_BYTES) {
      return reject("it is longer than " + MAX_BYTES + " bytes");
    }
    if (info.arrayLength() > MAX_ARRAY_LENGTH) {
      return reject("an array is longer than " + MAX_ARRAY_LENGTH + " elements");
    }
    Class<?> type = info.serialClass();
    if (type == null) {
      return Status.ALLOWED;
    }
    while (type.isArray()) {
      type = type.getComponentType();
    }
    if (admits(type)
        || allowedClasses != null && allowedClasses.checkInput(info) == Status.ALLOWED) {
      return Status.ALLOWED;
    }
    return reject(
        "class "
            + type.getName()
            + " is not admitted; a saved model function may hold ModelFunction classes, lambdas,"
            + " primitives, strings, enums, arrays and java.util collections (name further classes"
            + " in the Spark conf "
            + ModelFunctionStore.ALLOWED_CLASSES_CONF
            + ")");
  }

  private boolean admits(Class<?> type) {
    if (type.isPrimitive() || VALUES.contains(type) || Enum.class.isAssignableFrom(type)) {
      return true;
    }
    if (Proxy.isProxyClass(type)) {
      return false;
    }
    if (!Serializable.class.isAssignableFrom(type)) {
      return true;
    }
    if (ModelFunction.class.isAssignableFrom(type)) {
      modelClasses.add(type);
      return true;
    }
    // A model function's superclass: its descriptor follows the model function's in the stream.
    if (modelClasses.stream().anyMatch(type::isAssignableFrom)) {
      return true;
    }
    return "java.util".equals(type.getPackageName())
        && (Collection.class.isAssignableFrom(type)
            || Map.class.isAssignableFrom(type)
            || "java.util.CollSer".equals(type.getName()))
        && !SortedMap.class.isAssignableFrom(type)
        && !SortedSet.class.isAssignableFrom(type)
        && !PriorityQueue.class.isAssignableFrom(type);
  }

  private Status reject(String reason) {
    if (rejection == null) {
      rejection = reason;
    }
    return Status.REJECTED;
  }
}
