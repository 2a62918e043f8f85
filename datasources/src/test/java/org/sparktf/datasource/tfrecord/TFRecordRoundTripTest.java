package org.sparktf.datasource.tfrecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;

/** Round trips of every supported type and record type through the public API. */
class TFRecordRoundTripTest extends SparkSessionTestBase {
  @TempDir Path tmp;

  static final StructType ALL_TYPES =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("i", DataTypes.IntegerType)
          .add("s", DataTypes.ShortType)
          .add("b", DataTypes.ByteType)
          .add("flag", DataTypes.BooleanType)
          .add("f", DataTypes.FloatType)
          .add("d", DataTypes.DoubleType)
          .add("dec", DataTypes.createDecimalType(10, 2))
          .add("str", DataTypes.StringType)
          .add("bin", DataTypes.BinaryType)
          .add("longs", DataTypes.createArrayType(DataTypes.LongType, false))
          .add("floats", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("strs", DataTypes.createArrayType(DataTypes.StringType, false))
          .add("vec", SQLDataTypes.VectorType());

  static List<Row> allTypesRows() {
    return List.of(
        RowFactory.create(
            1L,
            Integer.MAX_VALUE,
            (short) -7,
            (byte) 3,
            true,
            1.5f,
            0.25,
            new BigDecimal("12.50"),
            "héllo",
            new byte[] {0, -1, 2},
            arr(Long.MIN_VALUE, 0L, Long.MAX_VALUE),
            arr(Float.NaN, Float.NEGATIVE_INFINITY, 3.0f),
            arr("a", ""),
            Vectors.dense(1.0, 0.0, 2.5)),
        RowFactory.create(
            2L,
            null,
            null,
            null,
            false,
            null,
            null,
            null,
            "",
            new byte[0],
            arr(),
            arr(),
            arr(),
            Vectors.sparse(5, new int[] {1, 4}, new double[] {0.5, -2.0})),
        RowFactory.create(
            3L,
            -1,
            (short) 0,
            (byte) -128,
            null,
            -0.0f,
            1e10,
            new BigDecimal("-0.01"),
            null,
            null,
            null,
            null,
            null,
            null));
  }

  @SafeVarargs
  static <T> scala.collection.Seq<T> arr(T... values) {
    // The same Seq class Spark returns for arrays, so rows compare by toString.
    return scala.collection.mutable.WrappedArray.make(values);
  }

  private List<Row> readSorted(Dataset<Row> df) {
    return df.collectAsList().stream()
        .sorted(Comparator.comparingLong(r -> r.getLong(r.fieldIndex("id"))))
        .collect(Collectors.toList());
  }

  /** ALL_TYPES without the columns that always take the row path (decimal, vector). */
  private static StructType directTypes() {
    StructType direct = new StructType();
    for (StructField f : ALL_TYPES.fields()) {
      if (!f.name().equals("dec") && !f.name().equals("vec")) {
        direct = direct.add(f);
      }
    }
    return direct;
  }

  @Test
  void everyTypeRoundTripsAsExample() {
    String out = tmp.resolve("all").toString();
    spark.createDataFrame(allTypesRows(), ALL_TYPES).write().format("tfrecord").save(out);

    // All types (decimals and vectors put the whole read on the row path), then only the types
    // that the direct path writes, so that each path sees every type it covers.
    for (StructType schema : List.of(ALL_TYPES, directTypes())) {
      List<Row> back = readSorted(tfrecord().schema(schema).load(out));

      assertThat(back).hasSize(3);
      List<Row> expected = allTypesRows();
      for (int r = 0; r < 3; r++) {
        for (int c = 0; c < schema.length(); c++) {
          String name = schema.fields()[c].name();
          Object want = expected.get(r).get(ALL_TYPES.fieldIndex(name));
          Object got = back.get(r).get(c);
          if (want instanceof byte[]) {
            assertThat((byte[]) got).as("row %d col %s", r, name).isEqualTo((byte[]) want);
          } else if (want instanceof scala.collection.Seq) {
            assertThat(got.toString()).as("row %d col %s", r, name).isEqualTo(want.toString());
          } else {
            assertThat(got).as("row %d col %s", r, name).isEqualTo(want);
          }
        }
      }
    }
  }

  @Test
  void sparseVectorsStaySparseOnDisk() throws Exception {
    String out = tmp.resolve("sparse").toString();
    spark
        .createDataFrame(allTypesRows(), ALL_TYPES)
        .where("id = 2")
        .select("id", "vec")
        .coalesce(1)
        .write()
        .format("tfrecord")
        .save(out);

    Example example = Example.parseFrom(firstRecord(dataFiles(Path.of(out)).get(0)));
    java.util.Map<String, Feature> features = example.getFeatures().getFeatureMap();
    assertThat(features).containsKeys("vec/indices", "vec/values", "vec/size");
    assertThat(features.get("vec/indices").getInt64List().getValueList()).containsExactly(1L, 4L);
    assertThat(features.get("vec/size").getInt64List().getValueList()).containsExactly(5L);
    assertThat(features).doesNotContainKey("vec");
  }

  /** The payload of the first TFRecord frame of an uncompressed file. */
  static byte[] firstRecord(Path file) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    long length =
        java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    return Arrays.copyOfRange(bytes, 12, 12 + (int) length);
  }

  @Test
  void sequenceExampleRoundTripsFeatureLists() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "tokens",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.StringType, false), false))
            .add(
                "frames",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.FloatType, false), false))
            .add(
                "steps",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.LongType, false), false));
    List<Row> rows =
        List.of(
            RowFactory.create(1L, arr(arr("a", "b"), arr("c")), arr(arr(1f, 2f)), arr(arr(7L))),
            RowFactory.create(2L, arr(), arr(arr(), arr(0.5f)), null));
    String out = tmp.resolve("seq").toString();
    spark
        .createDataFrame(rows, schema)
        .write()
        .format("tfrecord")
        .option("recordType", "SequenceExample")
        .save(out);

    List<Row> back =
        readSorted(tfrecord().option("recordType", "SequenceExample").schema(schema).load(out));
    assertThat(back.toString()).isEqualTo(rows.toString());

    Dataset<Row> inferred = tfrecord().option("recordType", "SequenceExample").load(out);
    assertThat(inferred.schema().apply("tokens").dataType().simpleString())
        .isEqualTo("array<array<string>>");
    assertThat(inferred.schema().apply("id").dataType()).isEqualTo(DataTypes.LongType);
  }

  @Test
  void byteArrayRecordsAreTheRawBytes() {
    StructType schema = new StructType().add("value", DataTypes.BinaryType, false);
    List<Row> rows =
        List.of(
            RowFactory.create((Object) new byte[] {1, 2, 3}),
            RowFactory.create((Object) new byte[0]));
    String out = tmp.resolve("bytes").toString();
    spark
        .createDataFrame(rows, schema)
        .write()
        .format("tfrecord")
        .option("recordType", "ByteArray")
        .save(out);

    Dataset<Row> back = tfrecord().option("recordType", "ByteArray").load(out);
    assertThat(back.schema().fieldNames()).containsExactly("value");
    assertThat(back.collectAsList().stream().map(r -> Arrays.toString((byte[]) r.get(0))))
        .containsExactlyInAnyOrder("[1, 2, 3]", "[]");
  }

  @Test
  void aliasTfrecordsWorks() {
    String out = tmp.resolve("alias").toString();
    spark.range(5).write().format("tfrecords").save(out);
    assertThat(spark.read().format("tfrecords").load(out).count()).isEqualTo(5);
  }

  @Test
  void nullArrayElementFailsWithClearMessage() {
    StructType schema =
        new StructType().add("xs", DataTypes.createArrayType(DataTypes.LongType, true));
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(arr(1L, null))), schema);
    assertThatThrownBy(() -> df.write().format("tfrecord").save(tmp.resolve("n").toString()))
        .hasStackTraceContaining("xs")
        .hasStackTraceContaining("null");
  }

  @Test
  void unsupportedTypeFailsBeforeAnyTask() {
    Dataset<Row> df = spark.sql("SELECT map('a', 1) AS m");
    assertThatThrownBy(() -> df.write().format("tfrecord").save(tmp.resolve("m").toString()))
        .hasStackTraceContaining("'m'")
        .hasStackTraceContaining("map");
  }
}
