package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

class SparkFeedTest {
  private static final int ROWS = 5000;
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("SparkFeedTest", 3);
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
    return cluster(spark, dir);
  }

  /** A SPARK-mode cluster of two workers with small nodes, for feed tests. */
  static TFCluster.Builder cluster(SparkSession spark, Path dir) {
    return TFCluster.builder(spark)
        .numExecutors(2)
        .inputMode(InputMode.SPARK)
        .modelDir(dir.toUri().toString())
        .reservationTimeout(Duration.ofSeconds(60))
        .feedTimeout(Duration.ofSeconds(60))
        .nodeJavaOptions("-Xmx256m");
  }

  private static Dataset<Row> rows(int n, int partitions) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("x", DataTypes.FloatType, false)
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType), false)
            .add("features", SQLDataTypes.VectorType(), false)
            .add("name", DataTypes.StringType, false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] pixels = {i, i + 0.5f, -i};
      rows.add(
          RowFactory.create(
              (long) i,
              i / 10f,
              List.of(pixels[0], pixels[1], pixels[2]),
              i % 2 == 0 ? Vectors.dense(i, 1) : Vectors.sparse(2, new int[] {0}, new double[] {i}),
              "row-" + i));
    }
    return spark.createDataFrame(rows, schema).repartition(partitions);
  }

  @Test
  void everyRowReachesExactlyOneWorkerOncePerEpoch() throws Exception {
    try (TFCluster cluster = cluster().run(SparkFeedTest::collectIds)) {
      cluster.train(rows(ROWS, 7), 2);
      cluster.shutdown();
    }
    Map<Long, Integer> seen = new HashMap<>();
    List<Integer> perWorker = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      List<String> lines = Files.readAllLines(dir.resolve("worker-" + w + ".txt"));
      perWorker.add(lines.size());
      for (String line : lines) {
        seen.merge(Long.parseLong(line), 1, Integer::sum);
      }
    }
    assertThat(seen).hasSize(ROWS);
    assertThat(seen.values()).allMatch(count -> count == 2);
    assertThat(perWorker).allMatch(count -> count > 0);
  }

  @Test
  void inferenceReturnsOneRowPerInputRowWithItsOutputs() {
    Dataset<Row> input = rows(3000, 5);
    StructType outputs =
        new StructType()
            .add("doubled", DataTypes.FloatType)
            .add("tag", DataTypes.StringType)
            .add("pair", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> result;
    try (TFCluster cluster = cluster().run(SparkFeedTest::doubleX)) {
      result = cluster.inference(input, outputs);
      cluster.shutdown();
    }
    List<Row> rows = result.collectAsList();
    assertThat(rows).hasSize(3000);
    assertThat(result.columns())
        .containsExactly("id", "x", "pixels", "features", "name", "doubled", "tag", "pair");
    for (Row row : rows) {
      long id = row.getLong(0);
      assertThat(row.getFloat(5)).isEqualTo(2 * (id / 10f));
      assertThat(row.getString(6)).isEqualTo("row-" + id + "!");
      assertThat(row.getList(7)).containsExactly((float) id, id + 0.5f);
    }
    assertThat(rows.stream().map(r -> r.getLong(0)).distinct().count()).isEqualTo(3000);
    result.unpersist();
  }

  @Test
  void terminateStopsTheFeedWithoutFailingTheJob() throws Exception {
    try (TFCluster cluster = cluster().run(SparkFeedTest::readOneBatchThenTerminate)) {
      cluster.train(rows(ROWS, 20), 3);
      cluster.shutdown();
    }
    assertThat(Files.readString(dir.resolve("terminated-0.txt"))).isEqualTo("100");
  }

  @Test
  void aWorkerThatStopsReadingFailsTheFeedWithinTheFeedTimeout() {
    TFCluster cluster = cluster().feedTimeout(Duration.ofSeconds(3)).run(SparkFeedTest::neverRead);
    try {
      long start = System.nanoTime();
      Dataset<Row> many = spark.range(0, 400_000, 1, 2).selectExpr("id", "CAST(id AS FLOAT) AS x");
      assertThatThrownBy(() -> cluster.train(many, 1))
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("took no data for 3 s (feedTimeout)");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    } finally {
      cluster.close();
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(180)
  void aWorkerThatStopsReadingWideRowsFailsTheFeedWithinTheFeedTimeout() {
    // Rows of 4M floats: one 16 MiB frame each, so the frames a feeder may have in flight (4) are
    // more than the socket buffers hold (here up to 32 MiB received plus 4 MiB sent), and the
    // feeder blocks in write(), where no read timeout applies.
    TFCluster cluster =
        cluster()
            .feedTimeout(Duration.ofSeconds(5))
            .nodeJavaOptions("-Xmx700m")
            .run(SparkFeedTest::neverRead);
    try {
      long start = System.nanoTime();
      Dataset<Row> wide =
          spark
              .range(0, 40, 1, 1)
              .selectExpr("id", "array_repeat(CAST(id AS FLOAT), 4194304) AS pixels");
      assertThatThrownBy(() -> cluster.train(wide, 1))
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("took no data for 5 s (feedTimeout)");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    } finally {
      cluster.close();
    }
  }

  @Test
  void aWorkerThatFailsWhileFedFailsTrainingPromptlyWithItsError() {
    TFCluster cluster =
        cluster().feedTimeout(Duration.ofMinutes(10)).run(SparkFeedTest::failAfterOneBatch);
    try {
      long start = System.nanoTime();
      Dataset<Row> many = spark.range(0, 400_000, 1, 4).selectExpr("id", "CAST(id AS FLOAT) AS x");
      assertThatThrownBy(() -> cluster.train(many, 1))
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("Node worker:")
          .hasMessageContaining("model diverged on purpose");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    } finally {
      cluster.close();
    }
  }

  static void failAfterOneBatch(NodeContext ctx) {
    ctx.dataFeed().nextBatch(10);
    throw new IllegalStateException("model diverged on purpose");
  }

  @Test
  void unsupportedColumnsAndNullsAreRefusedWithTheColumnName() {
    try (TFCluster cluster = cluster().run(SparkFeedTest::collectIds)) {
      Dataset<Row> maps = spark.sql("SELECT map('a', 1) AS m");
      assertThatThrownBy(() -> cluster.train(maps, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Cannot feed column 'm': type map<string,int> is not supported");
      Dataset<Row> nulls = spark.sql("SELECT CAST(NULL AS BIGINT) AS id");
      assertThatThrownBy(() -> cluster.train(nulls, 1))
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("Cannot train: the feeding job failed")
          .hasMessageContaining("Cannot feed column 'id': row 0 of the partition is null");
    }
  }

  static void collectIds(NodeContext ctx) throws Exception {
    DataFeed feed = ctx.dataFeed();
    List<String> ids = new ArrayList<>();
    while (!feed.shouldStop()) {
      FeedBatch batch = feed.nextBatch(100);
      if (batch.rows() == 0) {
        break;
      }
      try (TInt64 id = batch.int64("id");
          TFloat32 pixels = batch.float32("pixels");
          TFloat32 features = batch.float32("features");
          TString names = batch.strings("name")) {
        for (int r = 0; r < batch.rows(); r++) {
          long value = id.getLong(r);
          // Every column of a row stays with its row.
          if (pixels.getFloat(r, 1) != value + 0.5f
              || features.getFloat(r, 0) != value
              || !names.getObject(r).equals("row-" + value)) {
            throw new IllegalStateException("Row " + value + " arrived with another row's values");
          }
          ids.add(Long.toString(value));
        }
      }
    }
    Files.write(
        Path.of(new java.net.URI(ctx.modelDir())).resolve("worker-" + ctx.taskIndex() + ".txt"),
        ids);
  }

  static void doubleX(NodeContext ctx) {
    DataFeed feed = ctx.dataFeed();
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
      var doubled = tf.math.mul(x, tf.constant(2f));
      try (Session session = new Session(graph)) {
        while (!feed.shouldStop()) {
          FeedBatch batch = feed.nextBatch(64);
          if (batch.rows() == 0) {
            break;
          }
          String[] tags = new String[batch.rows()];
          try (TFloat32 xs = batch.float32("x");
              TFloat32 pixels = batch.float32("pixels");
              TInt64 ids = batch.int64("id")) {
            for (int r = 0; r < tags.length; r++) {
              tags[r] = "row-" + ids.getLong(r) + "!";
            }
            float[] pairs = new float[tags.length * 2];
            for (int r = 0; r < tags.length; r++) {
              pairs[2 * r] = pixels.getFloat(r, 0);
              pairs[2 * r + 1] = pixels.getFloat(r, 1);
            }
            try (Tensor out = session.runner().feed(x, xs).fetch(doubled).run().get(0);
                TString tagTensor = TString.vectorOf(tags);
                TFloat32 pairTensor =
                    TFloat32.tensorOf(
                        org.tensorflow.ndarray.Shape.of(tags.length, 2),
                        org.tensorflow.ndarray.buffer.DataBuffers.of(pairs, true, false))) {
              batch.respond(Map.of("doubled", out, "tag", tagTensor, "pair", pairTensor));
            }
          }
        }
      }
    }
  }

  static void readOneBatchThenTerminate(NodeContext ctx) throws Exception {
    DataFeed feed = ctx.dataFeed();
    FeedBatch batch = feed.nextBatch(100);
    feed.terminate();
    assertThat(feed.shouldStop()).isTrue();
    Files.writeString(
        Path.of(new java.net.URI(ctx.modelDir())).resolve("terminated-" + ctx.taskIndex() + ".txt"),
        Integer.toString(batch.rows()));
  }

  static void neverRead(NodeContext ctx) {
    while (true) {
      LockSupport.park();
    }
  }

  static List<String> lines(Stream<String> s) {
    return s.collect(Collectors.toList());
  }
}
