package org.sparktf.datasource.tfrecord.internal;

import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NullType;

/** How a column maps onto features: its shape and the Spark type of its values. */
final class ColumnShape {
  enum Shape {
    SCALAR,
    ARRAY,
    NESTED,
    VECTOR,
    NULL
  }

  final Shape shape;

  /** The scalar type of the values (for NESTED, of the inner elements); null for VECTOR/NULL. */
  final DataType element;

  final FeatureKind kind;

  private ColumnShape(Shape shape, DataType element, FeatureKind kind) {
    this.shape = shape;
    this.element = element;
    this.kind = kind;
  }

  /** The shape of a column type, or null if TFRecord cannot hold it. */
  static ColumnShape of(DataType type) {
    if (type instanceof VectorUDT) {
      return new ColumnShape(Shape.VECTOR, null, FeatureKind.FLOAT);
    }
    if (type instanceof NullType) {
      return new ColumnShape(Shape.NULL, null, null);
    }
    if (FeatureKind.of(type) != null) {
      return new ColumnShape(Shape.SCALAR, type, FeatureKind.of(type));
    }
    if (type instanceof ArrayType) {
      DataType inner = ((ArrayType) type).elementType();
      if (FeatureKind.of(inner) != null) {
        return new ColumnShape(Shape.ARRAY, inner, FeatureKind.of(inner));
      }
      if (inner instanceof ArrayType) {
        DataType innermost = ((ArrayType) inner).elementType();
        if (FeatureKind.of(innermost) != null) {
          return new ColumnShape(Shape.NESTED, innermost, FeatureKind.of(innermost));
        }
      }
    }
    return null;
  }
}
