package org.sparktf.examples.cifar10;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.TestSpark;

class Cifar10BinaryTest {
  private static SparkSession spark;
  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.local("Cifar10BinaryTest", 2);
  }

  @AfterAll
  static void stopSpark() {
    TestSpark.stop(spark);
  }

  private Configuration conf() {
    return spark.sparkContext().hadoopConfiguration();
  }

  @Test
  void readsRecordsBackExactlyAsWritten() throws Exception {
    byte[] first = new byte[Cifar10Binary.IMAGE_BYTES];
    byte[] second = new byte[Cifar10Binary.IMAGE_BYTES];
    for (int i = 0; i < first.length; i++) {
      first[i] = (byte) i;
      second[i] = (byte) (255 - i % 256);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Cifar10Binary.writeRecord(out, 9, first);
    Cifar10Binary.writeRecord(out, 0, second);
    assertThat(out.size()).isEqualTo(2 * 3073);
    Path file = dir.resolve("data_batch_1.bin");
    Files.write(file, out.toByteArray());

    List<Row> rows =
        Cifar10Binary.read(spark, List.of(new org.apache.hadoop.fs.Path(file.toUri())))
            .collectAsList();
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).getInt(0)).isEqualTo(9);
    assertThat((byte[]) rows.get(0).get(1)).isEqualTo(first);
    assertThat(rows.get(1).getInt(0)).isEqualTo(0);
    assertThat((byte[]) rows.get(1).get(1)).isEqualTo(second);
  }

  @Test
  void findsTheBatchesOfAGeneratedDataSetAndReadsThemAll() {
    String data = dir.resolve("data").toUri().toString();
    SyntheticCifar10.generate(conf(), data, 103, 21, 1);
    List<org.apache.hadoop.fs.Path> train = Cifar10Binary.trainFiles(conf(), data);
    assertThat(train)
        .extracting(org.apache.hadoop.fs.Path::getName)
        .containsExactly(
            "data_batch_1.bin",
            "data_batch_2.bin",
            "data_batch_3.bin",
            "data_batch_4.bin",
            "data_batch_5.bin");
    Dataset<Row> rows = Cifar10Binary.read(spark, train);
    assertThat(rows.count()).isEqualTo(103);
    // Labels cycle through the classes, so every class is there.
    assertThat(rows.select("label").distinct().count()).isEqualTo(10);
    Dataset<Row> test = Cifar10Binary.read(spark, List.of(Cifar10Binary.testFile(conf(), data)));
    assertThat(test.count()).isEqualTo(21);
  }

  @Test
  void acceptsTheDirectoryTheTarballWasExtractedIn() {
    String parent = dir.toUri().toString();
    SyntheticCifar10.generate(conf(), parent + "/" + Cifar10Binary.TARBALL_DIR, 10, 1, 1);
    assertThat(Cifar10Binary.trainFiles(conf(), parent)).hasSize(5);
    assertThat(Cifar10Binary.testFile(conf(), parent).getParent().getName())
        .isEqualTo(Cifar10Binary.TARBALL_DIR);
  }

  @Test
  void refusesFilesThatAreNotWholeRecords() throws Exception {
    Path file = dir.resolve("data_batch_1.bin");
    Files.write(file, new byte[3073 * 2 + 5]);
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file.toUri());
    assertThatThrownBy(() -> Cifar10Binary.read(spark, List.of(path)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid CIFAR-10 batch file: "
                + path
                + " has 6151 bytes, not a positive multiple of the 3073-byte record (1 label"
                + " byte + 3072 pixel bytes); use the binary version of CIFAR-10"
                + " (cifar-10-binary.tar.gz), not the Python or MATLAB one");
  }

  @Test
  void refusesRecordsWithLabelsOutsideTheTenClasses() throws Exception {
    byte[] record = new byte[3073];
    record[0] = (byte) 57;
    Path file = dir.resolve("data_batch_1.bin");
    Files.write(file, record);
    Dataset<Row> rows =
        Cifar10Binary.read(spark, List.of(new org.apache.hadoop.fs.Path(file.toUri())));
    assertThatThrownBy(rows::count)
        .isInstanceOf(SparkException.class)
        .rootCause()
        .hasMessage(
            "Invalid CIFAR-10 record: label 57 is outside 0..9; the file is not in the CIFAR-10"
                + " binary format (CIFAR-100 records start with 2 label bytes)");
  }

  @Test
  void saysWhereTheBatchesShouldBeWhenTheyAreMissing() throws Exception {
    String empty = Files.createDirectory(dir.resolve("empty")).toUri().toString();
    assertThatThrownBy(() -> Cifar10Binary.trainFiles(conf(), empty))
        .hasMessageStartingWith("Cannot find CIFAR-10 training batches: no data_batch_*.bin in ")
        .hasMessageEndingWith(
            "; extract cifar-10-binary.tar.gz and point the data directory at its"
                + " cifar-10-batches-bin directory");
    assertThatThrownBy(() -> Cifar10Binary.testFile(conf(), empty))
        .hasMessageStartingWith("Cannot find the CIFAR-10 test batch: no ");
    assertThatThrownBy(() -> Cifar10Binary.trainFiles(conf(), empty + "/nowhere"))
        .hasMessageEndingWith("/nowhere does not exist");
  }

  @Test
  void convertsTheBatchesToTFRecords() {
    String data = dir.resolve("data").toUri().toString();
    SyntheticCifar10.generate(conf(), data, 20, 7, 2);
    String out = dir.resolve("tfrecords").toUri().toString();
    Cifar10Jobs.toTFRecord(spark, data, out);
    Dataset<Row> train =
        spark.read().format("tfrecord").schema("label BIGINT, image BINARY").load(out + "/train");
    assertThat(train.count()).isEqualTo(20);
    Row first = train.orderBy("label").first();
    assertThat(((byte[]) first.getAs("image")).length).isEqualTo(Cifar10Binary.IMAGE_BYTES);
    assertThat(spark.read().format("tfrecord").load(out + "/test").count()).isEqualTo(7);
  }

  @Test
  void refusesUnknownCommandsAndOptions() {
    assertThatThrownBy(() -> Cifar10.parse("fit", List.of("fit")))
        .hasMessageStartingWith("Invalid command: fit; use one of ");
    assertThatThrownBy(() -> Cifar10.parse("eval", List.of("eval", "--steps", "3")))
        .hasMessageStartingWith("Invalid option for eval: --steps; its options are --");
    assertThat(Cifar10.parse("eval", List.of("eval", "--data_dir", "d", "--model_dir", "m")))
        .isEqualTo(Map.of("data_dir", "d", "model_dir", "m"));
  }
}
