package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's child JVM holds its executor's Hadoop delegation tokens, and the ones the executor gets
 * later (on YARN, Spark's driver sends renewed tokens to the executors only).
 */
class NodeCredentialsTest {
  private static final Text KIND = new Text("SPARKTF_TEST_TOKEN");
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("NodeCredentialsTest", 1);
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
  void aNodeHoldsItsExecutorsTokensAndGetsTheRenewedOnes() throws Exception {
    String first = "first-" + UUID.randomUUID();
    String renewed = "renewed-" + UUID.randomUUID();
    // In local mode the executor is this JVM: its user is the tasks' user.
    UserGroupInformation.getCurrentUser().addToken(token(first));

    TFCluster cluster =
        TestSpark.tensorflowCluster(spark, dir, 1, 0).run(new TokenWatch(first, renewed));
    Path started = dir.resolve("started");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(started) && System.nanoTime() < deadline) {
      LockSupport.parkNanos(50_000_000L);
    }
    assertThat(started).as("the node started its function").exists();
    long renewedAt = System.nanoTime();
    UserGroupInformation.getCurrentUser().addToken(token(renewed));
    cluster.shutdown();
    double seconds = (System.nanoTime() - renewedAt) / 1e9;

    assertThat(Files.readString(started, StandardCharsets.UTF_8))
        .isEqualTo("first=true renewed=false");
    assertThat(Files.readString(dir.resolve("renewed"), StandardCharsets.UTF_8))
        .isEqualTo("renewed=true");
    // It polls every 2 s.
    assertThat(seconds).isLessThan(20);
  }

  private static Token<?> token(String service) {
    return new Token<>(
        service.getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}, KIND, new Text(service));
  }

  /** Reports which tokens its process holds, then waits until the renewed one arrives. */
  static final class TokenWatch implements NodeFunction {
    private static final long serialVersionUID = 1L;
    private final String first;
    private final String renewed;

    TokenWatch(String first, String renewed) {
      this.first = first;
      this.renewed = renewed;
    }

    @Override
    public void run(NodeContext context) throws Exception {
      write(context, "started", "first=" + holds(first) + " renewed=" + holds(renewed));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!holds(renewed) && System.nanoTime() < deadline) {
        LockSupport.parkNanos(50_000_000L);
      }
      write(context, "renewed", "renewed=" + holds(renewed));
    }

    private static boolean holds(String service) throws Exception {
      return UserGroupInformation.getCurrentUser().getCredentials().getToken(new Text(service))
          != null;
    }

    /** Whole or not at all: the test reads the file as soon as it exists. */
    private static void write(NodeContext context, String name, String text) throws Exception {
      Path dir = Path.of(java.net.URI.create(context.modelDir()));
      Path partial = Files.writeString(dir.resolve(name + ".partial"), text);
      Files.move(partial, dir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
