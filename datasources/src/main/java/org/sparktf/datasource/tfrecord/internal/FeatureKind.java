package org.sparktf.datasource.tfrecord.internal;

import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;

/** The three value lists of a {@code tf.train.Feature}, numbered by their proto field. */
enum FeatureKind {
  BYTES(1, "bytes_list"),
  FLOAT(2, "float_list"),
  INT64(3, "int64_list");

  final int field;
  final String protoName;

  FeatureKind(int field, String protoName) {
    this.field = field;
    this.protoName = protoName;
  }

  static FeatureKind ofField(int field) {
    switch (field) {
      case 1:
        return BYTES;
      case 2:
        return FLOAT;
      case 3:
        return INT64;
      default:
        return null;
    }
  }

  /** The kind a scalar Spark type is stored as, or null if it has none. */
  static FeatureKind of(DataType type) {
    if (type instanceof LongType
        || type instanceof IntegerType
        || type instanceof ShortType
        || type instanceof ByteType
        || type instanceof BooleanType) {
      return INT64;
    }
    if (type instanceof FloatType || type instanceof DoubleType || type instanceof DecimalType) {
      return FLOAT;
    }
    if (type instanceof StringType || type instanceof BinaryType) {
      return BYTES;
    }
    return null;
  }
}
