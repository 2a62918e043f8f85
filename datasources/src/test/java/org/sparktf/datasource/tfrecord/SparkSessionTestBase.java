package org.sparktf.datasource.tfrecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One local SparkSession per test class. */
abstract class SparkSessionTestBase {
  static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("sparktf-datasources-test")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /**
   * Whether reads write rows straight from the record buffer (the default) or take the row path;
   * the {@code *RowPathTest} subclasses run the same read tests on the row path.
   */
  boolean directRows() {
    return true;
  }

  /** A reader of the {@code tfrecord} source on this test's read path. */
  DataFrameReader tfrecord() {
    return spark
        .read()
        .format("tfrecord")
        .option(TFRecordOptions.DIRECT_ROWS, String.valueOf(directRows()));
  }

  /** Data files (not _SUCCESS or hidden files) under a directory, recursively, sorted. */
  static List<Path> dataFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("_"))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .collect(Collectors.toList());
    }
  }
}
