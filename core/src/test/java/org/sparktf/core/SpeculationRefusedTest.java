package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A speculative copy of a feeding task would feed its rows twice: the feed refuses to run. */
class SpeculationRefusedTest {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("SpeculationRefusedTest")
            .config("spark.speculation", "true")
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

  @Test
  void trainAndInferenceRefuseSpeculationNamingTheSetting() {
    try (TFCluster cluster =
        TFCluster.builder(spark)
            .numExecutors(1)
            .inputMode(InputMode.SPARK)
            .modelDir(dir.toUri().toString())
            .reservationTimeout(Duration.ofSeconds(60))
            .nodeJavaOptions("-Xmx256m")
            .run(ctx -> {})) {
      var data = spark.range(0, 10).selectExpr("id");
      assertThatThrownBy(() -> cluster.train(data, 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("Cannot train: spark.speculation is true")
          .hasMessageContaining("Set spark.speculation=false");
      assertThatThrownBy(
              () -> cluster.inference(data, new StructType().add("y", DataTypes.FloatType)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("Cannot run inference: spark.speculation is true");
    }
  }
}
