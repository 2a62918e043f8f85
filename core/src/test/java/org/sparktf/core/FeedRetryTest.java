package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
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
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Feeding tasks that fail once, mid-partition, and are retried by Spark (local[3,2]: two attempts
 * per task): the retry must neither feed a row twice nor lose one.
 */
class FeedRetryTest {
  private static final int ROWS = 6000;
  private static final int PARTITIONS = 3;
  private static final long FAIL_AT_ROW = 1500;
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[3,2]").appName("FeedRetryTest").getOrCreate();
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
    return SparkFeedTest.cluster(spark, dir);
  }

  /**
   * Ids 0..ROWS-1 in PARTITIONS partitions, no shuffle. The first attempt of partition 0 waits at
   * row FAIL_AT_ROW until a worker took some of its rows, then fails; its retry leaves a file that
   * lets {@link #collectIds} go on. With {@code deterministic} false, a retry's x values differ
   * from the first attempt's.
   */
  private Dataset<Row> failingOnce(boolean deterministic) {
    String marker = dir.resolve("partition-0-taken").toString();
    JavaRDD<Row> rows =
        spark
            .range(0, ROWS, 1, PARTITIONS)
            .toJavaRDD()
            .mapPartitions(ids -> new FailingOnce(ids, marker, deterministic));
    StructType schema =
        new StructType().add("id", DataTypes.LongType, false).add("x", DataTypes.FloatType, false);
    return spark.createDataFrame(rows, schema);
  }

  private static void awaitFile(Path file) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      LockSupport.parkNanos(20_000_000L);
    }
  }

  @Test
  void aRetriedFeedingTaskFeedsEveryRowExactlyOncePerEpoch() throws Exception {
    try (TFCluster cluster = cluster().run(FeedRetryTest::collectIds)) {
      cluster.train(failingOnce(true), 2);
      cluster.shutdown();
    }
    Map<Long, Integer> seen = new HashMap<>();
    for (int w = 0; w < 2; w++) {
      for (String line : Files.readAllLines(dir.resolve("ids-" + w + ".txt"))) {
        seen.merge(Long.parseLong(line), 1, Integer::sum);
      }
    }
    assertThat(seen).hasSize(ROWS);
    Map<Long, Integer> notTwice = new HashMap<>();
    seen.forEach(
        (id, count) -> {
          if (count != 2) {
            notTwice.put(id, count);
          }
        });
    assertThat(notTwice).as("ids not seen exactly once in each of 2 epochs").isEmpty();
  }

  @Test
  void aRetriedTaskWhoseRowsChangedFailsTheFeedAndSaysWhatToDo() {
    TFCluster cluster = cluster().run(FeedRetryTest::collectIds);
    try {
      assertThatThrownBy(() -> cluster.train(failingOnce(false), 1))
          .isInstanceOf(TFClusterException.class)
          .hasMessageContaining("Cannot train: the feeding job failed")
          .hasMessageContaining("partition 0")
          .hasMessageContaining("not deterministic")
          .hasMessageContaining("Cache or checkpoint the DataFrame");
    } finally {
      cluster.close();
    }
  }

  @Test
  void aRetriedInferenceTaskYieldsOneRowPerInputRowAndTheClusterLivesOn() {
    StructType outputs =
        new StructType()
            .add("twice", DataTypes.LongType)
            .add("wide", DataTypes.createArrayType(DataTypes.FloatType));
    try (TFCluster cluster = cluster().run(FeedRetryTest::answerWide)) {
      Dataset<Row> result = cluster.inference(failingOnce(true), outputs);
      assertThat(result.count()).isEqualTo(ROWS);
      assertThat(result.select("id").distinct().count()).isEqualTo(ROWS);
      assertThat(result.filter("twice != 2 * id").count()).isZero();
      result.unpersist();
      // The cluster survived the failed attempt: it still answers.
      Dataset<Row> again =
          cluster.inference(
              spark.range(0, 100, 1, 2).selectExpr("id", "CAST(id AS FLOAT) AS x"), outputs);
      assertThat(again.count()).isEqualTo(100);
      again.unpersist();
      cluster.shutdown();
    }
  }

  static void collectIds(NodeContext ctx) throws Exception {
    DataFeed feed = ctx.dataFeed();
    Path modelDir = Path.of(new java.net.URI(ctx.modelDir()));
    long partition0End = ROWS / PARTITIONS;
    boolean marked = false;
    List<String> ids = new ArrayList<>();
    while (!feed.shouldStop()) {
      FeedBatch batch = feed.nextBatch(100);
      if (batch.rows() == 0) {
        break;
      }
      try (TInt64 id = batch.int64("id")) {
        for (int r = 0; r < batch.rows(); r++) {
          long value = id.getLong(r);
          ids.add(Long.toString(value));
          if (value < partition0End && !marked) {
            marked = true;
            Files.writeString(modelDir.resolve("partition-0-taken"), "");
            // Take no more until partition 0 is retried: the retry then resumes in mid-frame.
            awaitFile(modelDir.resolve("partition-0-taken-retried"));
          }
        }
      }
    }
    Files.write(modelDir.resolve("ids-" + ctx.taskIndex() + ".txt"), ids);
  }

  /**
   * Answers each id with twice its value and an array: 4096 floats a row for partition 0, so that
   * the results of its first attempt overflow the socket buffers if nothing drops them.
   */
  static void answerWide(NodeContext ctx) throws Exception {
    DataFeed feed = ctx.dataFeed();
    Path marker = Path.of(new java.net.URI(ctx.modelDir())).resolve("partition-0-taken");
    long partition0End = ROWS / PARTITIONS;
    while (!feed.shouldStop()) {
      FeedBatch batch = feed.nextBatch(64);
      if (batch.rows() == 0) {
        break;
      }
      int n = batch.rows();
      long[] twice = new long[n];
      try (TInt64 ids = batch.int64("id")) {
        for (int r = 0; r < n; r++) {
          twice[r] = 2 * ids.getLong(r);
        }
      }
      // Inference batches never mix partitions.
      int width = twice[0] / 2 < partition0End ? 4096 : 1;
      if (twice[0] / 2 < partition0End && !Files.exists(marker)) {
        // Before answering: the first attempt reads no answers while it waits for this.
        Files.writeString(marker, "");
      }
      try (TInt64 twiceTensor = TInt64.vectorOf(twice);
          TFloat32 wide =
              TFloat32.tensorOf(
                  Shape.of(n, width), DataBuffers.of(new float[n * width], true, false))) {
        batch.respond(Map.of("twice", twiceTensor, "wide", wide));
      }
    }
  }

  /** Rows made lazily, as the feeding task reads them, so the failure comes mid-partition. */
  private static final class FailingOnce implements Iterator<Row> {
    private final Iterator<Long> ids;
    private final String marker;
    private final boolean deterministic;
    private final int attempt;
    private final boolean inject;
    private long seen;

    FailingOnce(Iterator<Long> ids, String marker, boolean deterministic) {
      TaskContext task = TaskContext.get();
      this.ids = ids;
      this.marker = marker;
      this.deterministic = deterministic;
      this.attempt = task.attemptNumber();
      this.inject = task.partitionId() == 0 && attempt == 0;
      if (task.partitionId() == 0 && attempt > 0) {
        try {
          Files.writeString(Path.of(marker + "-retried"), "");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }

    @Override
    public boolean hasNext() {
      return ids.hasNext();
    }

    @Override
    public Row next() {
      long id = ids.next();
      if (inject && ++seen == FAIL_AT_ROW) {
        awaitFile(Path.of(marker));
        throw new IllegalStateException("input failed on purpose at row " + seen);
      }
      float x = deterministic ? id : id + attempt * 0.5f;
      return RowFactory.create(id, x);
    }
  }
}
