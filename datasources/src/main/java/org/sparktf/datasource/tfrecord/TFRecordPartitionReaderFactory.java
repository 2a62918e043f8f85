package org.sparktf.datasource.tfrecord;

import java.io.IOException;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.FileSourceOptions;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.execution.datasources.v2.FilePartitionReaderFactory;
import org.apache.spark.sql.execution.datasources.v2.PartitionReaderWithPartitionValues;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.internal.SerializableHadoopConf;
import org.sparktf.datasource.tfrecord.internal.TFRecordRowReader;

/** Runs on executors: builds the reader of one file split. */
final class TFRecordPartitionReaderFactory extends FilePartitionReaderFactory {
  private static final long serialVersionUID = 1L;
  private final Broadcast<SerializableHadoopConf> conf;
  private final StructType readDataSchema;
  private final StructType partitionSchema;
  private final TFRecordOptions options;

  TFRecordPartitionReaderFactory(
      Broadcast<SerializableHadoopConf> conf,
      StructType readDataSchema,
      StructType partitionSchema,
      TFRecordOptions options) {
    this.conf = conf;
    this.readDataSchema = readDataSchema;
    this.partitionSchema = partitionSchema;
    this.options = options;
  }

  @Override
  public FileSourceOptions options() {
    return new FileSourceOptions(scala.collection.immutable.Map$.MODULE$.<String, String>empty());
  }

  @Override
  public PartitionReader<InternalRow> buildReader(PartitionedFile file) {
    TFRecordRowReader reader =
        TFRecordRowReader.open(conf.value().get(), file, readDataSchema, options);
    PartitionReader<InternalRow> rows = new Rows(reader);
    return partitionSchema.isEmpty()
        ? rows
        : new PartitionReaderWithPartitionValues(
            rows, readDataSchema, partitionSchema, file.partitionValues());
  }

  /**
   * The reader's unsafe rows of one split; the partition values, if any, are appended by Spark's
   * wrapper.
   */
  private static final class Rows implements PartitionReader<InternalRow> {
    private final TFRecordRowReader reader;

    Rows(TFRecordRowReader reader) {
      this.reader = reader;
    }

    @Override
    public boolean next() throws IOException {
      return reader.next();
    }

    @Override
    public InternalRow get() {
      return reader.get();
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }
}
