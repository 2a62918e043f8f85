package org.sparktf.datasource.tfrecord.internal;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.TFRecordType;

/** Planning-time schema checks, so a schema TFRecord cannot hold fails before any task runs. */
public final class TFRecordSchemas {
  private TFRecordSchemas() {}

  /** The schema of {@code recordType=ByteArray}: one {@code value: binary} column. */
  public static StructType byteArraySchema() {
    return new StructType().add("value", DataTypes.BinaryType, false);
  }

  /** Checks every column can be written as the record type. */
  public static void validateForWrite(StructType schema, TFRecordType type) {
    validate(schema, type, "write");
  }

  /** Checks every column can be read from the record type. */
  public static void validateForRead(StructType schema, TFRecordType type) {
    validate(schema, type, "read");
  }

  private static void validate(StructType schema, TFRecordType type, String action) {
    if (type == TFRecordType.BYTE_ARRAY) {
      boolean ok =
          schema.length() == 1 && schema.fields()[0].dataType().equals(DataTypes.BinaryType);
      // Reads may prune the column away (count()).
      if (!ok && !(action.equals("read") && schema.isEmpty())) {
        throw TFRecordErrors.byteArrayNeedsOneBinaryColumn(schema.simpleString());
      }
      return;
    }
    for (StructField field : schema.fields()) {
      ColumnShape shape = ColumnShape.of(field.dataType());
      if (shape == null || (action.equals("write") && field.dataType() instanceof NullType)) {
        throw TFRecordErrors.unsupportedType(action, field.name(), field.dataType());
      }
      if (shape.shape == ColumnShape.Shape.NESTED && type != TFRecordType.SEQUENCE_EXAMPLE) {
        throw TFRecordErrors.nestedNeedsSequenceExample(action, field.name(), field.dataType());
      }
    }
  }
}
