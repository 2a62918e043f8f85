package org.sparktf.core.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import org.apache.spark.util.IndylambdaScalaClosures$;

/**
 * Java-serializes a user's function the way Spark ships an RDD closure: a lambda that a Scala REPL
 * or notebook compiled captures the whole line wrapper it was written in ({@code $lineN...$iw}),
 * with every value of that request, often a DataFrame, a reader or the SparkSession, which cannot
 * (or should not) travel. Spark's closure cleaner copies such a wrapper keeping only the fields the
 * lambda's code reads; it does so for {@code scala.Function} lambdas only, so this does the same
 * for lambdas of any serializable interface ({@code NodeFunction}, {@code ModelFunction}), with
 * Spark's own analysis of the fields a lambda reads. Lambdas anywhere in the object graph are
 * cleaned; nothing else changes.
 */
public final class ClosureSerializer {
  private ClosureSerializer() {}

  /** The serialized form of {@code function}, REPL lambdas cleaned. */
  public static byte[] serialize(Object function) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new Cleaning(bytes)) {
      out.writeObject(function);
    }
    return bytes.toByteArray();
  }

  private static final class Cleaning extends ObjectOutputStream {
    Cleaning(OutputStream out) throws IOException {
      super(out);
      enableReplaceObject(true);
    }

    @Override
    protected Object replaceObject(Object object) throws IOException {
      return object instanceof SerializedLambda ? clean((SerializedLambda) object) : object;
    }
  }

  /** The lambda with a copy of its REPL wrapper that holds only the fields its code reads. */
  static SerializedLambda clean(SerializedLambda lambda) throws IOException {
    if (lambda.getCapturedArgCount() == 0) {
      return lambda;
    }
    Object outer = lambda.getCapturedArg(0);
    if (outer == null
        || !outer.getClass().getName().startsWith("$line")
        || !outer.getClass().getName().replace('.', '/').equals(lambda.getImplClass())) {
      return lambda;
    }
    Class<?> wrapper = outer.getClass();
    scala.collection.mutable.Map<Class<?>, scala.collection.mutable.Set<String>> accessed =
        new scala.collection.mutable.HashMap<>();
    accessed.put(wrapper, new scala.collection.mutable.HashSet<>());
    try {
      IndylambdaScalaClosures$.MODULE$.findAccessedFields(
          lambda, wrapper.getClassLoader(), accessed, true);
      Object[] captured = new Object[lambda.getCapturedArgCount()];
      for (int i = 0; i < captured.length; i++) {
        captured[i] = lambda.getCapturedArg(i);
      }
      captured[0] = copy(outer, accessed.apply(wrapper));
      return new SerializedLambda(
          Class.forName(
              lambda.getCapturingClass().replace('/', '.'), false, wrapper.getClassLoader()),
          lambda.getFunctionalInterfaceClass(),
          lambda.getFunctionalInterfaceMethodName(),
          lambda.getFunctionalInterfaceMethodSignature(),
          lambda.getImplMethodKind(),
          lambda.getImplClass(),
          lambda.getImplMethodName(),
          lambda.getImplMethodSignature(),
          lambda.getInstantiatedMethodType(),
          captured);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IOException(
          "Cannot clean the function " + lambda.getImplMethodName() + " of " + wrapper + ": " + e,
          e);
    }
  }

  /** A new instance of the wrapper's class (no constructor runs) with only {@code fields} set. */
  private static Object copy(Object outer, scala.collection.mutable.Set<String> fields)
      throws ReflectiveOperationException {
    Class<?> type = outer.getClass();
    @SuppressWarnings("sunapi")
    Constructor<?> blank =
        sun.reflect.ReflectionFactory.getReflectionFactory()
            .newConstructorForSerialization(type, Object.class.getDeclaredConstructor());
    Object clone = blank.newInstance();
    for (Field field : type.getDeclaredFields()) {
      if (fields.contains(field.getName())
          && !java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
        field.setAccessible(true);
        field.set(clone, field.get(outer));
      }
    }
    return clone;
  }
}
