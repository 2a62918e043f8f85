package org.sparktf.datasource.tfrecord;

import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.execution.datasources.FileFormat;
import org.apache.spark.sql.execution.datasources.v2.FileDataSourceV2;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import scala.Option;
import scala.collection.Seq;

/**
 * TFRecord files as a Spark data source: {@code spark.read().format("tfrecord")} and {@code
 * df.write().format("tfrecord")} (alias {@code tfrecords}). Records are {@code tf.train.Example}
 * (default), {@code tf.train.SequenceExample} or raw bytes; see {@link TFRecordOptions} for the
 * options and the type mapping in the user guide ({@code docs/tfrecord.md}).
 *
 * <p>Batch reads run through the V2 classes ({@code TFRecordTable}, {@code TFRecordScanBuilder},
 * {@code TFRecordScan}, {@code TFRecordPartitionReaderFactory}); writes and streaming run through
 * {@link TFRecordFileFormat}, as Spark 3.5 does for every file source.
 */
public class TFRecordDataSource implements FileDataSourceV2 {
  /** The name given to {@code format(...)}. */
  public static final String SHORT_NAME = "tfrecord";

  private Table cachedTable;

  public TFRecordDataSource() {
    FileDataSourceV2.$init$(this);
  }

  @Override
  public String shortName() {
    return SHORT_NAME;
  }

  @Override
  public Class<? extends FileFormat> fallbackFileFormat() {
    return TFRecordFileFormat.class;
  }

  @Override
  public Table getTable(CaseInsensitiveStringMap options) {
    return table(options, Option.empty());
  }

  @Override
  public Table getTable(CaseInsensitiveStringMap options, StructType schema) {
    return table(options, Option.apply(schema));
  }

  private Table table(CaseInsensitiveStringMap options, Option<StructType> schema) {
    Seq<String> paths = getPaths(options);
    return new TFRecordTable(
        getTableName(options, paths),
        sparkSession(),
        getOptionsWithoutPaths(options),
        paths,
        schema);
  }

  // The Scala trait keeps a table cache in a var; Java implementors supply its storage.
  @Override
  public Table org$apache$spark$sql$execution$datasources$v2$FileDataSourceV2$$t() {
    return cachedTable;
  }

  @Override
  public void org$apache$spark$sql$execution$datasources$v2$FileDataSourceV2$$t_$eq(Table table) {
    this.cachedTable = table;
  }
}
