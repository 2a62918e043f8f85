package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;

class CheckpointResumeTest {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("CheckpointResumeTest", 3);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private void train(long targetStep) {
    try (TFCluster cluster =
        TestSpark.tensorflowCluster(spark, dir, 3, 1).run(new CheckpointedRegression(targetStep))) {
      cluster.shutdown();
    }
  }

  @Test
  void aRestartedClusterResumesFromTheLatestCheckpointAndExportsAServableModel() throws Exception {
    Configuration conf = new Configuration();
    train(200);
    OptionalLong first = Checkpoints.latestStep(conf, dir.toUri().toString());
    assertThat(first).isPresent();
    assertThat(first.getAsLong()).isGreaterThanOrEqualTo(200);
    assertThat(Files.readString(dir.resolve("restored.txt"))).isEqualTo("-1");
    long firstGeneration = Long.parseLong(Files.readString(dir.resolve("generation.txt")));
    try (Stream<Path> files = Files.list(dir.resolve("checkpoints"))) {
      // Two kept checkpoints, each an index and a data file, plus the "latest" marker.
      assertThat(
              files
                  .map(p -> p.getFileName().toString())
                  .filter(n -> n.startsWith("ckpt-"))
                  .collect(Collectors.toList()))
          .hasSize(4);
    }

    train(300);
    assertThat(Files.readString(dir.resolve("restored.txt")))
        .isEqualTo(Long.toString(first.getAsLong()));
    // A new cluster on the model directory is a newer generation, so its saves are not refused.
    assertThat(Long.parseLong(Files.readString(dir.resolve("generation.txt"))))
        .isGreaterThan(firstGeneration);
    long second = Checkpoints.latestStep(conf, dir.toUri().toString()).getAsLong();
    assertThat(second).isGreaterThanOrEqualTo(300);

    Path export = dir.resolve("export").resolve(Long.toString(second));
    try (SavedModelBundle model = SavedModelBundle.load(export.toString(), "serve");
        TFloat32 x = TFloat32.vectorOf(1f, 2f);
        Result result = model.function("serving_default").call(Map.of("x", x))) {
      TFloat32 y = (TFloat32) result.get("y").orElseThrow();
      assertThat(y.getFloat(0)).isCloseTo(5f, Offset.offset(0.05f));
      assertThat(y.getFloat(1)).isCloseTo(8f, Offset.offset(0.05f));
    }
  }
}
