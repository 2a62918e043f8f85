package org.sparktf.datasource.tfrecord;

import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.write.LogicalWriteInfo;
import org.apache.spark.sql.connector.write.WriteBuilder;
import org.apache.spark.sql.execution.datasources.FileFormat;
import org.apache.spark.sql.execution.datasources.v2.FileTable;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.sparktf.datasource.tfrecord.internal.TFRecordSchemaInference;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/** A set of TFRecord files (a directory, possibly partitioned, or globs) as a V2 table. */
final class TFRecordTable extends FileTable {
  private final String name;
  private final SparkSession spark;
  private final CaseInsensitiveStringMap options;

  TFRecordTable(
      String name,
      SparkSession spark,
      CaseInsensitiveStringMap options,
      Seq<String> paths,
      Option<StructType> userSchema) {
    super(spark, options, paths, userSchema);
    this.name = name;
    this.spark = spark;
    this.options = options;
    // Fail at planning time on bad options, not in the first task.
    TFRecordPlanning.options(spark, options);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String formatName() {
    return "TFRecord";
  }

  @Override
  public Class<? extends FileFormat> fallbackFileFormat() {
    return TFRecordFileFormat.class;
  }

  @Override
  public Option<StructType> inferSchema(Seq<FileStatus> files) {
    TFRecordOptions opts = TFRecordPlanning.options(spark, options);
    return Option.apply(
        TFRecordSchemaInference.infer(spark, JavaConverters.seqAsJavaList(files), opts)
            .orElse(null));
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap scanOptions) {
    return new TFRecordScanBuilder(spark, fileIndex(), dataSchema(), merged(scanOptions));
  }

  /**
   * Spark 3.5 plans every file-source write through the V1 fallback ({@link TFRecordFileFormat});
   * this is only reached if a future Spark plans a V2 file write, and then says so.
   */
  @Override
  public WriteBuilder newWriteBuilder(LogicalWriteInfo info) {
    throw new UnsupportedOperationException(
        "Cannot write TFRecord through the DataSource V2 write path: use"
            + " df.write().format(\"tfrecord\"), which Spark 3.5 runs through TFRecordFileFormat");
  }

  private CaseInsensitiveStringMap merged(CaseInsensitiveStringMap scanOptions) {
    java.util.Map<String, String> all = new java.util.HashMap<>(options.asCaseSensitiveMap());
    all.putAll(scanOptions.asCaseSensitiveMap());
    return new CaseInsensitiveStringMap(all);
  }
}
