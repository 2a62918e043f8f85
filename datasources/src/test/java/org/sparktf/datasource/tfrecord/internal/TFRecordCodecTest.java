package org.sparktf.datasource.tfrecord.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import org.sparktf.datasource.tfrecord.TFRecordType;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.FeatureList;
import org.tensorflow.proto.FeatureLists;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;
import org.tensorflow.proto.SequenceExample;

/** The Example codec against protobuf's own classes, its errors, and inference rules. */
class TFRecordCodecTest {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("xs", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("name", DataTypes.StringType);

  private static byte[] encode(StructType schema, TFRecordType type, InternalRow row) {
    TFRecordEncoder encoder = new TFRecordEncoder(schema, type);
    return Arrays.copyOf(encoder.encode(row), encoder.length());
  }

  private static InternalRow decode(StructType schema, byte[] bytes) {
    return new TFRecordDecoder(schema, TFRecordType.EXAMPLE, null).decode(bytes, 0, bytes.length);
  }

  private static Feature int64(long... values) {
    Int64List.Builder list = Int64List.newBuilder();
    for (long v : values) {
      list.addValue(v);
    }
    return Feature.newBuilder().setInt64List(list).build();
  }

  private static Example example(String key, Feature feature) {
    return Example.newBuilder().setFeatures(Features.newBuilder().putFeature(key, feature)).build();
  }

  @Test
  void encodedBytesParseWithProtobufAndMatchItsEncoding() throws Exception {
    InternalRow row =
        new GenericInternalRow(
            new Object[] {
              7L, ArrayData.toArrayData(new float[] {1.5f, -2f}), UTF8String.fromString("seven")
            });
    byte[] ours = encode(SCHEMA, TFRecordType.EXAMPLE, row);

    Example parsed = Example.parseFrom(ours);
    var f = parsed.getFeatures().getFeatureMap();
    assertThat(f.get("id").getInt64List().getValueList()).containsExactly(7L);
    assertThat(f.get("xs").getFloatList().getValueList()).containsExactly(1.5f, -2f);
    assertThat(f.get("name").getBytesList().getValue(0).toStringUtf8()).isEqualTo("seven");
    // Canonical encoding: protobuf re-serialises the parsed message to the same size.
    assertThat(parsed.getSerializedSize()).isEqualTo(ours.length);
  }

  @Test
  void decodesProtobufBytesPackedOrNot() throws Exception {
    Example example =
        Example.newBuilder()
            .setFeatures(
                Features.newBuilder()
                    .putFeature("id", int64(42))
                    .putFeature(
                        "xs",
                        Feature.newBuilder()
                            .setFloatList(FloatList.newBuilder().addValue(0.5f).addValue(3f))
                            .build())
                    .putFeature("unused", int64(1, 2, 3)))
            .build();
    InternalRow row = decode(SCHEMA, example.toByteArray());
    assertThat(row.getLong(0)).isEqualTo(42L);
    assertThat(row.getArray(1).toFloatArray()).containsExactly(0.5f, 3f);
    assertThat(row.isNullAt(2)).isTrue();

    // Unpacked int64 (wire type 0) as old writers emit: field 1 of Int64List, one varint each.
    byte[] unpackedList = {0x08, 0x05, 0x08, 0x06};
    byte[] feature = concat(new byte[] {0x1a, (byte) unpackedList.length}, unpackedList);
    InternalRow arrays =
        decode(
            new StructType().add("v", DataTypes.createArrayType(DataTypes.LongType)),
            example("v", Feature.parseFrom(feature)).toByteArray());
    assertThat(arrays.getArray(0).toLongArray()).containsExactly(5L, 6L);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Feature list "steps": two steps, [1, 2] and []. */
  private static FeatureLists steps() {
    return FeatureLists.newBuilder()
        .putFeatureList(
            "steps", FeatureList.newBuilder().addFeature(int64(1, 2)).addFeature(int64()).build())
        .build();
  }

  @Test
  void sequenceExamplesMatchProtobuf() throws Exception {
    StructType schema =
        new StructType()
            .add("ctx", DataTypes.LongType)
            .add(
                "steps",
                DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.LongType, false)));
    SequenceExample proto =
        SequenceExample.newBuilder()
            .setContext(Features.newBuilder().putFeature("ctx", int64(9)))
            .setFeatureLists(steps())
            .build();
    InternalRow row =
        new TFRecordDecoder(schema, TFRecordType.SEQUENCE_EXAMPLE, null)
            .decode(proto.toByteArray(), 0, proto.getSerializedSize());
    assertThat(row.getLong(0)).isEqualTo(9L);
    assertThat(row.getArray(1).getArray(0).toLongArray()).containsExactly(1L, 2L);
    assertThat(row.getArray(1).getArray(1).numElements()).isZero();

    byte[] ours = encode(schema, TFRecordType.SEQUENCE_EXAMPLE, row.copy());
    assertThat(SequenceExample.parseFrom(ours)).isEqualTo(proto);
  }

  @Test
  void aLengthThatOverflowsIsADecodeError() {
    // Field 1 (features), length-delimited, length 2^31 - 1: pos + length wraps negative.
    byte[] hostile = {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
    assertThatThrownBy(() -> decode(SCHEMA, hostile))
        .isInstanceOf(TFRecordDecodeException.class)
        .hasMessage("Invalid record: a field of length 2147483647 runs past the end of the record");
    // A 64-bit length whose low 32 bits are small must not pass as that small length.
    byte[] wide = {0x0A, (byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10, 0x00};
    assertThatThrownBy(() -> decode(SCHEMA, wide)).isInstanceOf(TFRecordDecodeException.class);
    TFRecordSchemaInferrer inferrer = new TFRecordSchemaInferrer(TFRecordType.EXAMPLE);
    assertThatThrownBy(() -> inferrer.add(hostile, 0, hostile.length, "f"))
        .isInstanceOf(TFRecordDecodeException.class);
  }

  @Test
  void damagedRecordsGiveOnlyDecodeErrors() {
    StructType schema =
        new StructType()
            .add("ctx", DataTypes.LongType)
            .add("xs", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("name", DataTypes.StringType)
            .add(
                "steps",
                DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.LongType, false)));
    byte[] intact =
        SequenceExample.newBuilder()
            .setContext(
                Features.newBuilder()
                    .putFeature("ctx", int64(9, -1))
                    .putFeature(
                        "xs",
                        Feature.newBuilder()
                            .setFloatList(FloatList.newBuilder().addValue(1.5f).addValue(2f))
                            .build())
                    .putFeature(
                        "name",
                        Feature.newBuilder()
                            .setBytesList(
                                BytesList.newBuilder().addValue(ByteString.copyFromUtf8("n")))
                            .build()))
            .setFeatureLists(steps())
            .build()
            .toByteArray();
    TFRecordDecoder decoder = new TFRecordDecoder(schema, TFRecordType.SEQUENCE_EXAMPLE, null);
    java.util.Random random = new java.util.Random(42);
    byte[][] patterns = {
      {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07},
      {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08},
      {
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        (byte) 0xFF,
        0x01
      }
    };
    int decodeErrors = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] damaged = intact.clone();
      if (i % 2 == 0) {
        damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
      } else {
        byte[] p = patterns[random.nextInt(patterns.length)];
        int at = random.nextInt(damaged.length - p.length);
        System.arraycopy(p, 0, damaged, at, p.length);
      }
      int length = i % 5 == 0 ? random.nextInt(damaged.length) : damaged.length;
      try {
        decoder.decode(damaged, 0, length);
        new TFRecordSchemaInferrer(TFRecordType.SEQUENCE_EXAMPLE).add(damaged, 0, length, "f");
      } catch (TFRecordDecodeException e) {
        decodeErrors++;
      } catch (IllegalArgumentException e) {
        // A record whose damage makes one feature two kinds, or both context and list.
        assertThat(e).hasMessageContaining("Cannot infer schema");
      }
    }
    assertThat(decodeErrors).isGreaterThan(1000);
  }

  @Test
  void contentErrorsNameTheColumnAndTheFix() {
    StructType ints = new StructType().add("n", DataTypes.IntegerType);
    assertThatThrownBy(() -> decode(ints, example("n", int64(1, 2, 3)).toByteArray()))
        .isInstanceOf(TFRecordDecodeException.class)
        .hasMessageContaining("column n is a scalar int but the feature has 3 values")
        .hasMessageContaining("array<int>");
    assertThatThrownBy(() -> decode(ints, example("n", int64(3_000_000_000L)).toByteArray()))
        .hasMessageContaining("value 3000000000 does not fit column n of type int");
    Feature bytes =
        Feature.newBuilder()
            .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFromUtf8("x")))
            .build();
    assertThatThrownBy(() -> decode(ints, example("n", bytes).toByteArray()))
        .hasMessageContaining("needs int64_list but the feature is a bytes_list");
    StructType required = new StructType().add("n", DataTypes.LongType, false);
    assertThatThrownBy(() -> decode(required, example("other", int64(1)).toByteArray()))
        .hasMessageContaining("feature 'n' is missing but column 'n' is not nullable");
  }

  @Test
  void nullArrayElementsAreRejectedOnWrite() {
    StructType schema = new StructType().add("xs", DataTypes.createArrayType(DataTypes.LongType));
    InternalRow row =
        new GenericInternalRow(new Object[] {new GenericArrayData(new Object[] {1L, null})});
    assertThatThrownBy(() -> encode(schema, TFRecordType.EXAMPLE, row))
        .hasMessageContaining("Cannot write column 'xs': element 1 of the array is null");
  }

  @Test
  void rowsDoNotInheritThePreviousRecordsValues() {
    TFRecordDecoder decoder = new TFRecordDecoder(SCHEMA, TFRecordType.EXAMPLE, null);
    byte[] first = example("id", int64(1)).toByteArray();
    byte[] second =
        example(
                "name",
                Feature.newBuilder()
                    .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFromUtf8("b")))
                    .build())
            .toByteArray();
    assertThat(decoder.decode(first, 0, first.length).getLong(0)).isEqualTo(1L);
    InternalRow row = decoder.decode(second, 0, second.length);
    assertThat(row.isNullAt(0)).isTrue();
    assertThat(row.getUTF8String(2).toString()).isEqualTo("b");
  }

  @Test
  void inferenceRules() {
    TFRecordSchemaInferrer a = new TFRecordSchemaInferrer(TFRecordType.EXAMPLE);
    add(a, example("single", int64(1)), "a");
    add(a, example("sometimesEmpty", int64(1)), "a");
    add(a, example("sometimesEmpty", int64()), "a");
    add(
        a,
        example(
            "raw",
            Feature.newBuilder()
                .setBytesList(
                    BytesList.newBuilder()
                        .addValue(ByteString.copyFrom(new byte[] {(byte) 0xff, 0})))
                .build()),
        "a");
    TFRecordSchemaInferrer b = new TFRecordSchemaInferrer(TFRecordType.EXAMPLE);
    add(
        b,
        example(
            "text",
            Feature.newBuilder()
                .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFromUtf8("héllo")))
                .build()),
        "b");
    add(
        b,
        Example.newBuilder()
            .setFeatures(
                Features.newBuilder()
                    .putFeature("v/indices", int64(0, 3))
                    .putFeature(
                        "v/values",
                        Feature.newBuilder()
                            .setFloatList(FloatList.newBuilder().addValue(1f).addValue(2f))
                            .build())
                    .putFeature("v/size", int64(4)))
            .build(),
        "b");

    StructType schema = a.merge(b).toSchema();
    assertThat(schema.simpleString())
        .isEqualTo(
            "struct<raw:binary,single:bigint,sometimesEmpty:array<bigint>,text:string,"
                + "v:vector>");
  }

  @Test
  void conflictingKindsAcrossFilesNameBothFiles() {
    TFRecordSchemaInferrer a = new TFRecordSchemaInferrer(TFRecordType.EXAMPLE);
    add(a, example("x", int64(1)), "fileA");
    TFRecordSchemaInferrer b = new TFRecordSchemaInferrer(TFRecordType.EXAMPLE);
    add(
        b,
        example(
            "x", Feature.newBuilder().setFloatList(FloatList.newBuilder().addValue(1f)).build()),
        "fileB");
    assertThatThrownBy(() -> a.merge(b))
        .hasMessage(
            "Cannot infer schema: feature 'x' is int64_list in fileA but float_list in"
                + " fileB; pass an explicit schema with .schema(...)");
  }

  private static void add(TFRecordSchemaInferrer inferrer, Example example, String file) {
    byte[] bytes = example.toByteArray();
    inferrer.add(bytes, 0, bytes.length, file);
  }

  @Test
  void optionValuesAreValidated() {
    assertThat(TFRecordType.fromOption("sequenceexample")).isEqualTo(TFRecordType.SEQUENCE_EXAMPLE);
    assertThatThrownBy(() -> TFRecordType.fromOption("Proto"))
        .hasMessageContaining("Invalid recordType: 'Proto'");
    assertThatThrownBy(
            () ->
                TFRecordSchemas.validateForWrite(
                    new StructType()
                        .add(
                            "nested",
                            DataTypes.createArrayType(
                                DataTypes.createArrayType(DataTypes.LongType))),
                    TFRecordType.EXAMPLE))
        .hasMessageContaining("set recordType=SequenceExample");
    assertThatThrownBy(
            () ->
                TFRecordSchemas.validateForWrite(
                    new StructType().add("when", DataTypes.DateType), TFRecordType.EXAMPLE))
        .hasMessageContaining("Cannot write column 'when': type date is not supported");
  }

  /** Every type the direct path writes, scalar and array, with a missing nullable feature. */
  private static final StructType DIRECT =
      new StructType()
          .add("l", DataTypes.LongType)
          .add("i", DataTypes.IntegerType)
          .add("s", DataTypes.ShortType)
          .add("b", DataTypes.ByteType)
          .add("z", DataTypes.BooleanType)
          .add("f", DataTypes.FloatType)
          .add("d", DataTypes.DoubleType)
          .add("str", DataTypes.StringType)
          .add("bin", DataTypes.BinaryType)
          .add("ls", DataTypes.createArrayType(DataTypes.LongType, false))
          .add("is", DataTypes.createArrayType(DataTypes.IntegerType, false))
          .add("ss", DataTypes.createArrayType(DataTypes.ShortType, false))
          .add("bs", DataTypes.createArrayType(DataTypes.ByteType, false))
          .add("zs", DataTypes.createArrayType(DataTypes.BooleanType, false))
          .add("fs", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("ds", DataTypes.createArrayType(DataTypes.DoubleType, false))
          .add("strs", DataTypes.createArrayType(DataTypes.StringType, false))
          .add("bins", DataTypes.createArrayType(DataTypes.BinaryType, false))
          .add("missing", DataTypes.createArrayType(DataTypes.FloatType, false));

  private static Feature floats(float... values) {
    FloatList.Builder list = FloatList.newBuilder();
    for (float v : values) {
      list.addValue(v);
    }
    return Feature.newBuilder().setFloatList(list).build();
  }

  private static Feature bytes(String... values) {
    BytesList.Builder list = BytesList.newBuilder();
    for (String v : values) {
      list.addValue(ByteString.copyFromUtf8(v));
    }
    return Feature.newBuilder().setBytesList(list).build();
  }

  /** A column's value as comparable text: arrays and binary by their elements. */
  private static String text(InternalRow row, int c, org.apache.spark.sql.types.DataType t) {
    if (row.isNullAt(c)) {
      return "null";
    }
    if (t instanceof org.apache.spark.sql.types.ArrayType) {
      org.apache.spark.sql.types.DataType e =
          ((org.apache.spark.sql.types.ArrayType) t).elementType();
      return Arrays.deepToString(row.getArray(c).toObjectArray(e));
    }
    return Arrays.deepToString(new Object[] {row.get(c, t)});
  }

  @Test
  void directRowsEqualTheRowPathsProjectedRows() throws Exception {
    // Int64 values unpacked on the wire (one varint each) as old writers emit them.
    byte[] unpacked = {0x08, 0x05, 0x08, 0x06};
    Feature unpackedLongs =
        Feature.parseFrom(concat(new byte[] {0x1a, (byte) unpacked.length}, unpacked));
    Features features =
        Features.newBuilder()
            .putFeature("l", int64(Long.MIN_VALUE))
            .putFeature("i", int64(Integer.MAX_VALUE))
            .putFeature("s", int64(-7))
            .putFeature("b", int64(127))
            .putFeature("z", int64(1))
            .putFeature("f", floats(-0.0f))
            .putFeature("d", int64(3)) // int64 widens to a float column
            .putFeature("str", bytes("héllo"))
            .putFeature("bin", bytes(""))
            .putFeature("ls", unpackedLongs)
            .putFeature("is", int64(1, -2, 3))
            .putFeature("ss", int64(-32768, 32767))
            .putFeature("bs", int64())
            .putFeature("zs", int64(0, 1, 1))
            .putFeature("fs", floats(Float.NaN, Float.NEGATIVE_INFINITY, 1e-30f))
            .putFeature("ds", floats(0.1f, 2f))
            .putFeature("strs", bytes("a", "", "long enough to spill past one word"))
            .putFeature("bins", bytes())
            .build();
    byte[] record = Example.newBuilder().setFeatures(features).build().toByteArray();

    TFRecordDecoder rowPath = new TFRecordDecoder(DIRECT, TFRecordType.EXAMPLE, null, false);
    TFRecordDecoder direct = new TFRecordDecoder(DIRECT, TFRecordType.EXAMPLE, null, true);
    assertThat(rowPath.writesUnsafeRows()).isFalse();
    assertThat(direct.writesUnsafeRows()).isTrue();
    InternalRow projected =
        org.apache.spark.sql.catalyst.expressions.UnsafeProjection.create(DIRECT)
            .apply(rowPath.decode(record, 0, record.length));
    // Twice: the second record reuses the direct path's buffer.
    for (int pass = 0; pass < 2; pass++) {
      InternalRow written = direct.decode(record, 0, record.length);
      assertThat(written).isInstanceOf(org.apache.spark.sql.catalyst.expressions.UnsafeRow.class);
      for (int c = 0; c < DIRECT.length(); c++) {
        org.apache.spark.sql.types.DataType t = DIRECT.fields()[c].dataType();
        assertThat(text(written, c, t))
            .as("column %s", DIRECT.fields()[c].name())
            .isEqualTo(text(projected, c, t));
      }
    }
    assertThat(text(projected, 16, DIRECT.fields()[16].dataType()))
        .isEqualTo("[a, , long enough to spill past one word]");
    assertThat(projected.isNullAt(DIRECT.fieldIndex("missing"))).isTrue();
  }

  @Test
  void directRowsFailLikeTheRowPath() {
    byte[] tooWide = example("s", int64(40_000)).toByteArray();
    byte[] twoValues = example("l", int64(1, 2)).toByteArray();
    for (byte[] record : List.of(tooWide, twoValues)) {
      Throwable rowPath =
          catchThrowable(
              () ->
                  new TFRecordDecoder(DIRECT, TFRecordType.EXAMPLE, null, false)
                      .decode(record, 0, record.length));
      Throwable direct =
          catchThrowable(
              () ->
                  new TFRecordDecoder(DIRECT, TFRecordType.EXAMPLE, null, true)
                      .decode(record, 0, record.length));
      assertThat(rowPath).isInstanceOf(TFRecordDecodeException.class);
      assertThat(direct).isInstanceOf(TFRecordDecodeException.class);
      assertThat(direct.getMessage()).isEqualTo(rowPath.getMessage());
    }
  }

  @Test
  void vectorsNestedArraysAndDecimalsTakeTheRowPath() {
    for (org.apache.spark.sql.types.DataType t :
        List.of(
            new org.apache.spark.ml.linalg.VectorUDT(),
            DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.LongType)),
            DataTypes.createDecimalType(10, 2),
            DataTypes.NullType)) {
      StructType schema = new StructType().add("id", DataTypes.LongType).add("x", t);
      assertThat(
              new TFRecordDecoder(schema, TFRecordType.SEQUENCE_EXAMPLE, null, true)
                  .writesUnsafeRows())
          .as("%s", t)
          .isFalse();
    }
  }
}
