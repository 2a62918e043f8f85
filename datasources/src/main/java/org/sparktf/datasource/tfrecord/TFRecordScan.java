package org.sparktf.datasource.tfrecord;

import java.util.Objects;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.execution.datasources.PartitioningAwareFileIndex;
import org.apache.spark.sql.execution.datasources.v2.TextBasedFileScan;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.sparktf.datasource.tfrecord.internal.HadoopConfBroadcasts;
import scala.collection.Seq;

/**
 * A planned scan of TFRecord files. Uncompressed files are split at Spark's split size; each split
 * resynchronises on its first intact record.
 */
final class TFRecordScan extends TextBasedFileScan {
  private final SparkSession spark;
  private final PartitioningAwareFileIndex fileIndex;
  private final StructType dataSchema;
  private final StructType readDataSchema;
  private final StructType readPartitionSchema;
  private final CaseInsensitiveStringMap options;
  private final TFRecordOptions parsed;
  private final Seq<Expression> partitionFilters;
  private final Seq<Expression> dataFilters;

  TFRecordScan(
      SparkSession spark,
      PartitioningAwareFileIndex fileIndex,
      StructType dataSchema,
      StructType readDataSchema,
      StructType readPartitionSchema,
      CaseInsensitiveStringMap options,
      Seq<Expression> partitionFilters,
      Seq<Expression> dataFilters) {
    super(spark, options);
    this.spark = spark;
    this.fileIndex = fileIndex;
    this.dataSchema = dataSchema;
    this.readDataSchema = readDataSchema;
    this.readPartitionSchema = readPartitionSchema;
    this.options = options;
    this.parsed = TFRecordPlanning.options(spark, options);
    this.partitionFilters = partitionFilters;
    this.dataFilters = dataFilters;
    TFRecordPlanning.validateRead(readDataSchema, parsed);
  }

  @Override
  public boolean isSplitable(Path path) {
    return parsed.readCompression(path.getName()).isSplittable();
  }

  @Override
  public String getFileUnSplittableReason(Path path) {
    return "the file is compressed (" + parsed.readCompression(path.getName()) + ")";
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    // Like Spark's own sources: options double as Hadoop settings for this scan.
    org.apache.hadoop.conf.Configuration hadoopConf = spark.sessionState().newHadoopConf();
    options.asCaseSensitiveMap().forEach(hadoopConf::set);
    return new TFRecordPartitionReaderFactory(
        HadoopConfBroadcasts.of(spark.sparkContext(), hadoopConf),
        readDataSchema,
        readPartitionSchema,
        parsed);
  }

  /** Scala's FileScan reads this while its constructor runs, before our fields are set. */
  @Override
  public SparkSession sparkSession() {
    return spark != null ? spark : SparkSession.active();
  }

  @Override
  public PartitioningAwareFileIndex fileIndex() {
    return fileIndex;
  }

  @Override
  public StructType dataSchema() {
    return dataSchema;
  }

  @Override
  public StructType readDataSchema() {
    return readDataSchema;
  }

  @Override
  public StructType readPartitionSchema() {
    return readPartitionSchema;
  }

  @Override
  public Seq<Expression> partitionFilters() {
    return partitionFilters;
  }

  @Override
  public Seq<Expression> dataFilters() {
    return dataFilters;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TFRecordScan
        && super.equals(other)
        && options.equals(((TFRecordScan) other).options);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), options);
  }
}
