package org.sparktf.bench;

import com.google.protobuf.ByteString;
import java.io.Serializable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/**
 * The "naive" Row / Example conversion a user writes today with the protobuf builders: long to
 * Int64List, string to BytesList, array of float to FloatList; a null column is an absent feature.
 */
final class ExampleCodec implements Serializable {
  private static final long serialVersionUID = 1L;
  private final StructType schema;

  ExampleCodec(StructType schema) {
    this.schema = schema;
  }

  /** Serialises one row to Example bytes. */
  byte[] encode(Row row) {
    Features.Builder features = Features.newBuilder();
    StructField[] fields = schema.fields();
    for (int i = 0; i < fields.length; i++) {
      if (!row.isNullAt(i)) {
        features.putFeature(fields[i].name(), feature(fields[i].dataType(), row.get(i)));
      }
    }
    return Example.newBuilder().setFeatures(features).build().toByteArray();
  }

  /** Parses Example bytes to a row of the schema; an absent feature gives null. */
  Row decode(byte[] bytes, int length) {
    Example example;
    try {
      example =
          Example.parseFrom(com.google.protobuf.CodedInputStream.newInstance(bytes, 0, length));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("Cannot parse Example record: " + e.getMessage(), e);
    }
    StructField[] fields = schema.fields();
    Object[] values = new Object[fields.length];
    for (int i = 0; i < fields.length; i++) {
      Feature feature = example.getFeatures().getFeatureOrDefault(fields[i].name(), null);
      values[i] = feature == null ? null : value(fields[i].dataType(), feature);
    }
    return RowFactory.create(values);
  }

  private static Feature feature(DataType type, Object value) {
    if (type == DataTypes.LongType) {
      return Feature.newBuilder()
          .setInt64List(Int64List.newBuilder().addValue((Long) value))
          .build();
    }
    if (type == DataTypes.StringType) {
      ByteString bytes = ByteString.copyFromUtf8((String) value);
      return Feature.newBuilder().setBytesList(BytesList.newBuilder().addValue(bytes)).build();
    }
    if (isFloatArray(type)) {
      FloatList.Builder list = FloatList.newBuilder();
      if (value instanceof float[]) {
        for (float f : (float[]) value) {
          list.addValue(f);
        }
      } else {
        scala.collection.Iterator<?> it = ((scala.collection.Seq<?>) value).iterator();
        while (it.hasNext()) {
          list.addValue((Float) it.next());
        }
      }
      return Feature.newBuilder().setFloatList(list).build();
    }
    throw new IllegalArgumentException("Invalid benchmark column type: " + type.simpleString());
  }

  private static Object value(DataType type, Feature feature) {
    if (type == DataTypes.LongType) {
      return feature.getInt64List().getValue(0);
    }
    if (type == DataTypes.StringType) {
      return feature.getBytesList().getValue(0).toStringUtf8();
    }
    FloatList list = feature.getFloatList();
    float[] values = new float[list.getValueCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = list.getValue(i);
    }
    return values;
  }

  private static boolean isFloatArray(DataType type) {
    return type instanceof ArrayType && ((ArrayType) type).elementType() == DataTypes.FloatType;
  }
}
