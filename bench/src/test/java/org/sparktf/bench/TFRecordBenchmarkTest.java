package org.sparktf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparktf.core.TestSpark;

class TFRecordBenchmarkTest {
  private static final long RECORDS = 200;
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("TFRecordBenchmarkTest", 2);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  @ParameterizedTest
  @EnumSource(BenchData.Kind.class)
  void everyContenderReadsBackTheWrittenRows(BenchData.Kind kind, @TempDir Path dir) {
    Dataset<Row> source = BenchData.generate(spark, kind, RECORDS, 2, 7);
    List<String> expected = canonical(source);
    for (Contender contender : Contender.all()) {
      String path = dir.resolve(contender.dirName()).toString();
      contender.write(source, path); // a missing source (e.g. ours) fails the test
      Dataset<Row> read = contender.read(spark, kind.schema(), path);
      assertThat(canonical(read)).as(contender.label()).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @EnumSource(BenchData.Kind.class)
  void tfNativeReaderParsesEveryRecord(BenchData.Kind kind, @TempDir Path dir) {
    Dataset<Row> source = BenchData.generate(spark, kind, RECORDS, 2, 7);
    SparkContenders.writeNaive(source, dir.resolve("naive").toString());
    List<String> files =
        TFRecordBenchmark.dataFiles(dir.resolve("naive")).stream().map(Path::toString).toList();

    TfNativeReader.Outcome outcome = TfNativeReader.read(files, kind.schema());

    long labelSum = source.collectAsList().stream().mapToLong(r -> r.getLong(0)).sum();
    assertThat(files).hasSize(2);
    assertThat(outcome.rows()).isEqualTo(RECORDS);
    assertThat(outcome.labelSum()).isEqualTo(labelSum).isPositive();
  }

  @ParameterizedTest
  @EnumSource(BenchData.Kind.class)
  void tfNativeFetchesTheValuesSparkTFReads(BenchData.Kind kind, @TempDir Path dir) {
    Dataset<Row> source = BenchData.generate(spark, kind, RECORDS, 2, 7);
    String path = dir.resolve("ours").toString();
    source.write().format("tfrecord").save(path);
    List<String> files =
        TFRecordBenchmark.dataFiles(dir.resolve("ours")).stream().map(Path::toString).toList();
    long expected =
        spark.read().format("tfrecord").schema(kind.schema()).load(path).collectAsList().stream()
            .mapToLong(ValueChecksum::ofRow)
            .sum();
    long ofSource = source.collectAsList().stream().mapToLong(ValueChecksum::ofRow).sum();

    // A batch smaller than the files, so that several batches are fetched and summed.
    TfNativeReader.FullOutcome outcome = TfNativeReader.readAll(files, kind.schema(), 64, true);

    assertThat(expected).isEqualTo(ofSource).isNotZero();
    assertThat(outcome.rows()).isEqualTo(RECORDS);
    assertThat(outcome.checksum()).isEqualTo(expected);
    assertThat(TfNativeReader.readAll(files, kind.schema(), 64, false))
        .isEqualTo(new TfNativeReader.FullOutcome(RECORDS, 0));
  }

  @Test
  void generatedDataIsDeterministicAndLooksLikeTheRealData() {
    List<Row> first = BenchData.generate(spark, BenchData.Kind.CRITEO, 50, 2, 3).collectAsList();
    List<Row> again = BenchData.generate(spark, BenchData.Kind.CRITEO, 50, 3, 3).collectAsList();
    assertThat(again).isEqualTo(first);
    assertThat(first).anyMatch(r -> r.isNullAt(13)).anyMatch(r -> !r.isNullAt(13)); // I13
    List<Object> categories = first.stream().map(r -> r.get(17)).collect(Collectors.toList());
    assertThat(categories)
        .filteredOn(c -> c != null)
        .allMatch(c -> ((String) c).matches("[0-9a-f]{8}"));
    Row image = BenchData.generate(spark, BenchData.Kind.MNIST, 1, 1, 3).first();
    List<Float> pixels = image.getList(1);
    assertThat(pixels).hasSize(BenchData.MNIST_PIXELS).allMatch(p -> p >= 0f && p <= 1f);
    assertThat(pixels.stream().filter(p -> p == 0f).count()).isGreaterThan(400);
  }

  @Test
  void onePassMeasuresEveryAvailableContender(@TempDir Path dir) {
    BenchOptions options = BenchOptions.parse(new String[] {"--records", "100", "--warmup", "0"});
    BenchRun run = new TFRecordBenchmark(spark, options).runPass(dir, 100, 1);

    assertThat(run.results()).allMatch(m -> m.rows() == 100 && m.seconds() > 0 && m.bytes() > 0);
    List<String> names =
        run.results().stream()
            .map(m -> m.dataset() + " " + m.operation() + " " + m.contender())
            .toList();
    assertThat(names)
        .contains(
            "MNIST scan source (Parquet)",
            "MNIST write naive",
            "MNIST read TF native",
            "Criteo read Parquet",
            "Criteo read JSON");
    int oursCount = names.stream().filter(n -> n.endsWith(" ours")).toList().size();
    assertThat(oursCount + 2 * run.skipped().size()).isEqualTo(4);
    assertThat(BenchReport.table(run.results(), run.skipped()))
        .contains("| MNIST | read | naive | 100 |");
    if (oursCount > 0) {
      assertThat(BenchReport.table(run.results(), run.skipped()))
          .contains("MNIST write net of the source scan");
    }
  }

  /** Every row as one string, sorted: rows carry no id, so compare as multisets. */
  private static List<String> canonical(Dataset<Row> df) {
    return df.collectAsList().stream().map(r -> r.mkString("|")).sorted().toList();
  }
}
