package org.sparktf.it;

import java.util.Arrays;
import java.util.Comparator;
import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * This module's class order (junit-platform.properties): the classes with mini clusters of their
 * own first, then those that share {@link SharedHadoop}'s. SecureClusterTest turns Kerberos on in
 * Hadoop's JVM-wide security settings while it runs; the shared plain cluster, which lives until
 * the last class ended, must not be running then.
 */
final class SharedHadoopLast implements ClassOrderer {
  @Override
  public void orderClasses(ClassOrdererContext context) {
    // A stable sort: otherwise the classes keep the order the build gave them.
    context.getClassDescriptors().sort(Comparator.comparing(SharedHadoopLast::sharesTheCluster));
  }

  private static boolean sharesTheCluster(ClassDescriptor descriptor) {
    return descriptor
        .findAnnotation(ExtendWith.class)
        .map(e -> Arrays.asList(e.value()).contains(SharedHadoop.class))
        .orElse(false);
  }
}
