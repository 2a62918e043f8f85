package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.internal.ThreadPools;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The inter-op and intra-op pool sizes reach the node processes' TensorFlow: a node counts its
 * native TensorFlow threads, which grow by one per thread of either pool.
 */
class NodeThreadPoolsTest {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    // The Spark conf sizes the pools where the builder does not.
    spark =
        TestSpark.local(
            "NodeThreadPoolsTest",
            1,
            Map.of(TFCluster.INTER_OP_THREADS_KEY, "3", TFCluster.INTRA_OP_THREADS_KEY, "3"));
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  @Test
  void theNodesRunTensorFlowWithThePoolSizesOfTheBuilderElseTheSparkConf() throws Exception {
    long fromBuilder = nativeThreads(cluster("builder").interOpThreads(1).intraOpThreads(1));
    long fromConf = nativeThreads(cluster("conf"));
    System.out.printf("Native TensorFlow threads: %d at 1/1, %d at 3/3%n", fromBuilder, fromConf);
    // 3 + 3 threads against 1 + 1 (measured: exactly 4 more); unsized pools would be equal.
    assertThat(fromConf - fromBuilder)
        .as("native threads with 3/3 (%d) minus with 1/1 (%d)", fromConf, fromBuilder)
        .isBetween(3L, 8L);
  }

  @Test
  void refusesNegativePoolSizesBeforeStartingAnything() {
    assertThatThrownBy(() -> cluster("x").interOpThreads(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid interOpThreads: -1; use 0 for TensorFlow's own sizing (all cores) or a"
                + " positive thread count");
    assertThatThrownBy(() -> cluster("x").intraOpThreads(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid intraOpThreads: -2; use 0 for TensorFlow's own sizing");
    for (String value : new String[] {"-1", "two"}) {
      assertThatThrownBy(() -> TFCluster.builder(null).threadPools(conf(value)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(
              "Invalid spark.sparktf.intraOpThreads: '"
                  + value
                  + "'; use 0 for TensorFlow's own sizing");
    }
    assertThat(Leaks.nodeProcesses()).isEmpty();
  }

  @Test
  void theBuilderTakesPrecedenceOverTheSparkConfAndZeroIsTheDefault() {
    assertThat(TFCluster.builder(null).threadPools(new SparkConf(false)))
        .isEqualTo(ThreadPools.DEFAULT);
    assertThat(TFCluster.builder(null).threadPools(conf("4"))).isEqualTo(new ThreadPools(0, 4));
    assertThat(TFCluster.builder(null).intraOpThreads(2).threadPools(conf("-1")))
        .isEqualTo(new ThreadPools(0, 2));
  }

  private static SparkConf conf(String intraOp) {
    return new SparkConf(false).set(TFCluster.INTRA_OP_THREADS_KEY, intraOp);
  }

  private TFCluster.Builder cluster(String name) {
    return TFCluster.builder(spark)
        .numExecutors(1)
        .inputMode(InputMode.TENSORFLOW)
        .modelDir(dir.resolve(name).toUri().toString())
        .reservationTimeout(Duration.ofSeconds(60))
        .nodeJavaOptions("-Xmx256m");
  }

  /** Runs one node that counts its native TensorFlow threads after a session ran an op. */
  private long nativeThreads(TFCluster.Builder builder) throws IOException {
    try (TFCluster cluster = builder.run(NodeThreadPoolsTest::countThreads)) {
      cluster.shutdown();
    }
    String name = Path.of(java.net.URI.create(builder.modelDir)).resolve("threads.txt").toString();
    return Long.parseLong(Files.readString(Path.of(name)).trim());
  }

  static void countThreads(NodeContext ctx) throws Exception {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      var x = tf.random.randomUniform(tf.constant(new long[] {64, 64}), TFloat32.class);
      var sum = tf.reduceSum(tf.linalg.matMul(x, x), tf.constant(new int[] {0, 1}));
      try (Session session = ctx.session(graph)) {
        session.runner().fetch(sum).run().close();
      }
    }
    LinearRegressionNode.write(ctx, "threads.txt", Long.toString(unnamedThreads()));
  }

  /**
   * Threads TensorFlow creates natively keep the process's name ("java"); the JVM's own threads
   * carry their names. TensorFlow's pools are sized once, when the node's server starts.
   */
  private static long unnamedThreads() throws IOException {
    long count = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        try {
          if (Files.readString(task.resolve("comm")).trim().equals("java")) {
            count++;
          }
        } catch (IOException e) {
          // the thread ended while we looked
        }
      }
    }
    return count;
  }
}
