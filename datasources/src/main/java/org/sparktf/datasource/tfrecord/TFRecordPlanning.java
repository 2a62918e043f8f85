package org.sparktf.datasource.tfrecord;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.internal.TFRecordErrors;
import org.sparktf.datasource.tfrecord.internal.TFRecordSchemas;

/** Planning-time checks shared by the V1 and V2 paths, so bad input fails before tasks run. */
final class TFRecordPlanning {
  private TFRecordPlanning() {}

  static TFRecordOptions options(SparkSession spark, Map<String, String> options) {
    return new TFRecordOptions(options, spark.sessionState().conf().columnNameOfCorruptRecord());
  }

  /** Checks the data columns can be read as the record type (the corrupt column excepted). */
  static void validateRead(StructType dataSchema, TFRecordOptions options) {
    StructType withoutCorrupt = new StructType();
    for (StructField field : dataSchema.fields()) {
      if (field.name().equals(options.corruptRecordColumn())) {
        if (!field.dataType().equals(DataTypes.StringType) || !field.nullable()) {
          throw TFRecordErrors.corruptColumnNotString(field.name(), field.dataType());
        }
      } else {
        withoutCorrupt = withoutCorrupt.add(field);
      }
    }
    TFRecordSchemas.validateForRead(withoutCorrupt, options.recordType());
  }

  static void validateWrite(StructType dataSchema, TFRecordOptions options) {
    TFRecordSchemas.validateForWrite(dataSchema, options.recordType());
  }
}
