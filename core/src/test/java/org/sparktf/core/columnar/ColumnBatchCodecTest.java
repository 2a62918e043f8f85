package org.sparktf.core.columnar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

class ColumnBatchCodecTest {
  private static final StructType SCHEMA =
      new StructType()
          .add("b", DataTypes.BooleanType)
          .add("i", DataTypes.IntegerType)
          .add("l", DataTypes.LongType)
          .add("f", DataTypes.FloatType)
          .add("d", DataTypes.DoubleType)
          .add("s", DataTypes.StringType)
          .add("bin", DataTypes.BinaryType)
          .add("fa", DataTypes.createArrayType(DataTypes.FloatType))
          .add("la", DataTypes.createArrayType(DataTypes.LongType))
          .add("v", SQLDataTypes.VectorType());

  private static InternalRow row(int n) {
    VectorUDT vectors = new VectorUDT();
    return new GenericInternalRow(
        new Object[] {
          n % 2 == 0,
          n,
          10_000_000_000L + n,
          n + 0.25f,
          n * 1.5,
          UTF8String.fromString("s" + n),
          new byte[] {(byte) n, 7},
          new GenericArrayData(new Object[] {(float) n, -n - 0.5f}),
          new GenericArrayData(new Object[] {(long) n, 3L, 4L}),
          vectors.serialize(
              n % 2 == 0 ? Vectors.dense(n, 2) : Vectors.sparse(2, new int[] {1}, new double[] {n}))
        });
  }

  private static ColumnBatch roundTrip(int rows) throws IOException {
    ColumnBatchEncoder encoder = new ColumnBatchEncoder(FeedSchema.of(SCHEMA));
    for (int n = 0; n < rows; n++) {
      encoder.add(row(n));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    encoder.write(new DataOutputStream(bytes));
    return new ColumnBatchDecoder(1 << 20)
        .read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
  }

  @Test
  void everySupportedTypeSurvivesTheWireAsTensors() throws IOException {
    ColumnBatch batch = roundTrip(5);
    assertThat(batch.rows()).isEqualTo(5);
    assertThat(batch.columns())
        .containsExactly("b", "i", "l", "f", "d", "s", "bin", "fa", "la", "v");
    try (TBool b = (TBool) batch.tensor("b");
        TInt32 i = (TInt32) batch.tensor("i");
        TInt64 l = (TInt64) batch.tensor("l");
        TFloat32 f = (TFloat32) batch.tensor("f");
        TFloat64 d = (TFloat64) batch.tensor("d");
        TString s = (TString) batch.tensor("s");
        TString bin = batch.strings("bin");
        TFloat32 fa = (TFloat32) batch.tensor("fa");
        TInt64 la = (TInt64) batch.tensor("la");
        TFloat64 v = (TFloat64) batch.tensor("v")) {
      assertThat(fa.shape().asArray()).containsExactly(5, 2);
      assertThat(la.shape().asArray()).containsExactly(5, 3);
      assertThat(v.shape().asArray()).containsExactly(5, 2);
      assertThat(i.shape().asArray()).containsExactly(5);
      for (int n = 0; n < 5; n++) {
        assertThat(b.getBoolean(n)).isEqualTo(n % 2 == 0);
        assertThat(i.getInt(n)).isEqualTo(n);
        assertThat(l.getLong(n)).isEqualTo(10_000_000_000L + n);
        assertThat(f.getFloat(n)).isEqualTo(n + 0.25f);
        assertThat(d.getDouble(n)).isEqualTo(n * 1.5);
        assertThat(s.getObject(n)).isEqualTo("s" + n);
        assertThat(bin.asBytes().getObject(n)).containsExactly((byte) n, 7);
        assertThat(fa.getFloat(n, 1)).isEqualTo(-n - 0.5f);
        assertThat(la.getLong(n, 0)).isEqualTo(n);
        assertThat(v.getDouble(n, n % 2 == 0 ? 0 : 1)).isEqualTo(n);
      }
    }
  }

  @Test
  void castsNumericColumns() throws IOException {
    ColumnBatch batch = roundTrip(3);
    try (TFloat32 d = batch.float32("d");
        TInt64 i = batch.int64("i");
        TInt32 l = batch.int32("f");
        TFloat64 fa = batch.float64("fa")) {
      assertThat(d.getFloat(2)).isEqualTo(3f);
      assertThat(i.getLong(2)).isEqualTo(2L);
      assertThat(l.getInt(1)).isEqualTo(1);
      assertThat(fa.getDouble(1, 1)).isEqualTo(-1.5);
    }
    assertThatThrownBy(() -> batch.float32("s"))
        .hasMessageContaining(
            "Invalid column: 's' holds BYTES values and cannot be cast to a number");
    assertThatThrownBy(() -> batch.tensor("nope")).hasMessageContaining("Invalid column: 'nope'");
  }

  @Test
  void slicesAndConcatenatesRowsInOrder() throws IOException {
    ColumnBatch batch = roundTrip(10);
    ColumnBatch joined = ColumnBatch.concat(List.of(batch.slice(7, 10), batch.slice(0, 2)));
    assertThat(joined.rows()).isEqualTo(5);
    try (TInt32 i = (TInt32) joined.tensor("i");
        TFloat32 fa = (TFloat32) joined.tensor("fa")) {
      assertThat(new int[] {i.getInt(0), i.getInt(2), i.getInt(3), i.getInt(4)})
          .containsExactly(7, 9, 0, 1);
      assertThat(fa.getFloat(4, 0)).isEqualTo(1f);
    }
  }

  @Test
  void refusesRaggedArraysNullsAndUnsupportedTypesNamingTheColumn() {
    ColumnBatchEncoder encoder = new ColumnBatchEncoder(FeedSchema.of(SCHEMA));
    encoder.add(row(0));
    InternalRow ragged = row(1);
    ragged.update(7, new GenericArrayData(new Object[] {1f, 2f, 3f}));
    assertThatThrownBy(() -> encoder.add(ragged))
        .hasMessageContaining(
            "Cannot feed column 'fa': row 1 of the partition has 3 values, earlier rows of its batch have 2");
    InternalRow withNull = row(2);
    withNull.setNullAt(3);
    assertThatThrownBy(() -> new ColumnBatchEncoder(FeedSchema.of(SCHEMA)).add(withNull))
        .hasMessageContaining("Cannot feed column 'f': row 0 of the partition is null");
    StructType maps =
        new StructType()
            .add("m", DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType));
    assertThatThrownBy(() -> FeedSchema.of(maps))
        .hasMessageContaining("Cannot feed column 'm': type map<string,int> is not supported");
    assertThatThrownBy(() -> FeedSchema.of(SCHEMA, List.of("zz")))
        .hasMessageContaining("Cannot feed column 'zz': no such column; available: b, i, l");
  }

  @Test
  void refusesGarbageAndOversizedFramesBeforeAllocating() throws IOException {
    ByteArrayOutputStream garbage = new ByteArrayOutputStream();
    new DataOutputStream(garbage).writeLong(42);
    assertThatThrownBy(
            () ->
                new ColumnBatchDecoder(1 << 20)
                    .read(new DataInputStream(new ByteArrayInputStream(garbage.toByteArray()))))
        .hasMessageContaining("Invalid feed frame: bad magic number");
    ColumnBatchEncoder encoder = new ColumnBatchEncoder(FeedSchema.of(SCHEMA));
    for (int n = 0; n < 100; n++) {
      encoder.add(row(n));
    }
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    encoder.write(new DataOutputStream(frame));
    assertThatThrownBy(
            () ->
                new ColumnBatchDecoder(256)
                    .read(new DataInputStream(new ByteArrayInputStream(frame.toByteArray()))))
        .hasMessageContaining("over the 256-byte frame limit");
  }

  @Test
  void wideFloatRowsCostTheirPayloadPlusASmallHeader() throws IOException {
    StructType images =
        new StructType().add("pixels", DataTypes.createArrayType(DataTypes.FloatType));
    ColumnBatchEncoder encoder = new ColumnBatchEncoder(FeedSchema.of(images));
    Object[] pixels = new Object[784];
    for (int p = 0; p < pixels.length; p++) {
      pixels[p] = p / 784f;
    }
    for (int n = 0; n < 1000; n++) {
      encoder.add(new GenericInternalRow(new Object[] {new GenericArrayData(pixels)}));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    encoder.write(new DataOutputStream(bytes));
    assertThat(bytes.size()).isBetween(1000 * 784 * 4, 1000 * 784 * 4 + 64);
    ColumnBatch batch =
        new ColumnBatchDecoder(64 << 20)
            .read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    try (TFloat32 t = (TFloat32) batch.tensor("pixels")) {
      assertThat(t.getFloat(999, 783)).isEqualTo(783 / 784f);
    }
  }
}
