package org.sparktf.ml.repl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.Leaks;
import org.sparktf.core.TestSpark;

/**
 * Notebook-style functions on {@code local-cluster[2,1,1024]}: executors are JVMs of their own that
 * fetch the REPL's classes from the driver, and the nodes get them from their executors.
 */
class ReplLocalClusterTest extends ReplContract {
  @TempDir static Path home;

  @BeforeAll
  static void startRepl() throws IOException {
    // Spark needs a jars directory under the stand-in for SPARK_HOME (see TestSpark).
    Files.createDirectories(home.resolve("jars"));
    String javaOptions = System.getProperty("sparktf.test.javaOptions", "");
    repl =
        new ScalaRepl(
            "local-cluster[2,1,1024]",
            Map.of(
                "spark.test.home",
                home.toString(),
                "spark.executor.extraClassPath",
                System.getProperty("java.class.path"),
                "spark.executor.extraJavaOptions",
                javaOptions,
                "spark.driver.extraJavaOptions",
                javaOptions),
            START);
    TestSpark.awaitExecutors(repl.spark(), 2, START);
    repl.eval(PRELUDE, START);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreadsUnderExecutors();
  }
}
