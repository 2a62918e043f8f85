package org.sparktf.datasource.tfrecord;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.execution.datasources.PartitioningAwareFileIndex;
import org.apache.spark.sql.execution.datasources.v2.FileScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/** Plans a TFRecord scan: Spark prunes the columns, the scan decodes only those. */
final class TFRecordScanBuilder extends FileScanBuilder {
  private final SparkSession spark;
  private final PartitioningAwareFileIndex fileIndex;
  private final StructType dataSchema;
  private final CaseInsensitiveStringMap options;

  TFRecordScanBuilder(
      SparkSession spark,
      PartitioningAwareFileIndex fileIndex,
      StructType dataSchema,
      CaseInsensitiveStringMap options) {
    super(spark, fileIndex, dataSchema);
    this.spark = spark;
    this.fileIndex = fileIndex;
    this.dataSchema = dataSchema;
    this.options = options;
  }

  @Override
  public Scan build() {
    return new TFRecordScan(
        spark,
        fileIndex,
        dataSchema,
        readDataSchema(),
        readPartitionSchema(),
        options,
        partitionFilters(),
        dataFilters());
  }
}
