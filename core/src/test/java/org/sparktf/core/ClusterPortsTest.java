package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.internal.ClusterLayout;
import org.sparktf.core.internal.HostileClients;
import org.sparktf.core.internal.NodeAddress;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;

/**
 * A cluster's ports: each inside the configured range (the builder's, else the Spark setting's),
 * and a cluster that trains while hundreds of junk connections hold its coordinator and a worker's
 * feed port.
 */
class ClusterPortsTest {
  // Below Linux's ephemeral ports, at a random place so parallel builds rarely meet.
  private static final int BASE = 20_000 + ThreadLocalRandom.current().nextInt(9_000);
  private static final int CONF_FROM = BASE;
  private static final int CONF_TO = BASE + 39;
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[3]")
            .appName("ClusterPortsTest")
            .config("spark.sparktf.ports", CONF_FROM + "-" + CONF_TO)
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @AfterEach
  void nothingLeftBehind() {
    Leaks.assertNoNodeProcessesOrThreads();
  }

  private TFCluster.Builder cluster() {
    return TFCluster.builder(spark)
        .numExecutors(3)
        .numPs(1)
        .inputMode(InputMode.SPARK)
        .modelDir(dir.toUri().toString())
        .reservationTimeout(Duration.ofSeconds(60))
        .feedTimeout(Duration.ofSeconds(60))
        .nodeJavaOptions("-Xmx256m");
  }

  @Test
  void theBuilderRangeWinsOverTheSparkSettingAndHoldsEveryPort() throws Exception {
    int from = BASE + 100;
    int to = BASE + 139;
    try (TFCluster cluster = cluster().portRange(from, to).run(ClusterPortsTest::fitFedRows)) {
      ClusterGeneration generation = cluster.generation();
      assertThat(generation.coordinator.port()).isBetween(from, to);
      List<Integer> tfPorts = new ArrayList<>();
      for (List<String> tasks : cluster.clusterSpec().jobs().values()) {
        for (String address : tasks) {
          tfPorts.add(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        }
      }
      assertThat(tfPorts).hasSize(3).allMatch(port -> port >= from && port <= to);
      List<NodeAddress> workers = workers(generation);
      assertThat(workers).hasSize(2).allMatch(n -> n.feedPort() >= from && n.feedPort() <= to);
      // The feed port listens on the node's host only, not on every address.
      NodeAddress worker = workers.get(0);
      if (!InetAddress.getByName(worker.host()).getHostAddress().equals("127.0.0.2")) {
        assertThat(connects("127.0.0.2", worker.feedPort())).isFalse();
      }
      assertThat(connects(worker.host(), worker.feedPort())).isTrue();
      cluster.train(regressionRows(), 1);
      cluster.shutdown();
    }
  }

  @Test
  void trainsWhileHundredsOfJunkConnectionsHoldTheCoordinatorAndAFeedPort() throws Exception {
    try (TFCluster cluster = cluster().run(ClusterPortsTest::fitFedRows)) {
      ClusterGeneration generation = cluster.generation();
      // Without a range in the builder, the Spark setting applies.
      assertThat(generation.coordinator.port()).isBetween(CONF_FROM, CONF_TO);
      NodeAddress worker = workers(generation).get(0);
      assertThat(worker.feedPort()).isBetween(CONF_FROM, CONF_TO);
      int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
      try (HostileClients atDriver =
              new HostileClients("127.0.0.1", generation.coordinator.port());
          HostileClients atWorker = new HostileClients(worker.host(), worker.feedPort())) {
        atDriver.hugeLengths(100).silent(50).tricklers(50);
        atWorker.hugeLengths(50).silent(50);
        // Feeding tasks get through the worker's junk; at shutdown the executors' exit reports
        // get through the driver's.
        cluster.train(regressionRows(), 4);
        atDriver.trickle();
        assertThat(ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore)
            .as("driver threads added while 200 junk connections are open")
            .isLessThan(100);
        cluster.shutdown();
      }
    }
    String[] wb = Files.readString(dir.resolve("result.txt")).trim().split(" ");
    assertThat(Float.parseFloat(wb[0])).isCloseTo(3f, Offset.offset(0.1f));
    assertThat(Float.parseFloat(wb[1])).isCloseTo(2f, Offset.offset(0.1f));
  }

  private static List<NodeAddress> workers(ClusterGeneration generation) {
    ClusterLayout layout = new ClusterLayout(3, 1, false);
    List<NodeAddress> workers = new ArrayList<>();
    for (NodeAddress node : generation.nodes) {
      if (ClusterLayout.WORKER.equals(layout.job(node.index()))) {
        workers.add(node);
      }
    }
    return workers;
  }

  private static boolean connects(String host, int port) {
    try (Socket socket = new Socket(host, port)) {
      return socket.isConnected();
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** 2000 rows of y = 3x + 2, x in [-1, 1). */
  private static Dataset<Row> regressionRows() {
    StructType schema =
        new StructType().add("x", DataTypes.FloatType, false).add("y", DataTypes.FloatType, false);
    List<Row> rows = new ArrayList<>();
    java.util.Random random = new java.util.Random(5);
    for (int i = 0; i < 2000; i++) {
      float x = random.nextFloat() * 2 - 1;
      rows.add(RowFactory.create(x, 3 * x + 2));
    }
    return spark.createDataFrame(rows, schema).repartition(4);
  }

  /** Fits y = w·x + b by asynchronous SGD on the fed rows; the chief writes "w b". */
  static void fitFedRows(NodeContext ctx) throws Exception {
    if (!ClusterLayout.WORKER.equals(ctx.jobName())) {
      return;
    }
    try (Graph graph = new Graph()) {
      LinearRegressionGraph model = LinearRegressionGraph.build(ctx, graph);
      Op train = new GradientDescent(graph, 0.1f).minimize(model.loss());
      try (Session session = ctx.session(graph)) {
        if (ctx.isChief()) {
          session.initialize();
        } else {
          ctx.awaitVariables(session, Duration.ofSeconds(60));
        }
        DataFeed feed = ctx.dataFeed();
        while (!feed.shouldStop()) {
          FeedBatch batch = feed.nextBatch(32);
          if (batch.rows() == 0) {
            break;
          }
          try (TFloat32 x = batch.float32("x");
              TFloat32 y = batch.float32("y")) {
            session.runner().feed(model.x(), x).feed(model.y(), y).addTarget(train).run();
          }
        }
        if (ctx.isChief()) {
          try (var result = session.runner().fetch(model.w()).fetch(model.b()).run()) {
            LinearRegressionNode.write(
                ctx,
                "result.txt",
                ((TFloat32) result.get(0)).getFloat()
                    + " "
                    + ((TFloat32) result.get(1)).getFloat());
          }
        }
      }
    }
  }
}
