package org.sparktf.datasource.tfrecord;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.Job;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.execution.datasources.FileFormat;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;
import org.sparktf.datasource.tfrecord.internal.HadoopConfBroadcasts;
import org.sparktf.datasource.tfrecord.internal.SerializableHadoopConf;
import org.sparktf.datasource.tfrecord.internal.TFRecordRowReader;
import org.sparktf.datasource.tfrecord.internal.TFRecordSchemaInference;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.runtime.AbstractFunction1;

/**
 * The V1 {@code FileFormat} of the tfrecord source. Spark 3.5 routes every file-source write
 * ({@code DataFrameWriter.save}, save modes, {@code partitionBy}, dynamic partition overwrite) and
 * streaming through this class even though {@link TFRecordDataSource} is a V2 source; batch reads
 * use the V2 path unless {@code spark.sql.sources.useV1SourceList} names {@code tfrecord}. Not
 * meant to be used directly.
 */
public final class TFRecordFileFormat implements FileFormat, DataSourceRegister, Serializable {
  private static final long serialVersionUID = 1L;

  @Override
  public String shortName() {
    return TFRecordDataSource.SHORT_NAME;
  }

  @Override
  public String toString() {
    return "TFRecord";
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TFRecordFileFormat;
  }

  @Override
  public int hashCode() {
    return TFRecordFileFormat.class.hashCode();
  }

  @Override
  public Option<StructType> inferSchema(
      SparkSession spark,
      scala.collection.immutable.Map<String, String> options,
      Seq<FileStatus> files) {
    TFRecordOptions opts = TFRecordPlanning.options(spark, javaMap(options));
    return Option.apply(
        TFRecordSchemaInference.infer(spark, JavaConverters.seqAsJavaList(files), opts)
            .orElse(null));
  }

  @Override
  public OutputWriterFactory prepareWrite(
      SparkSession spark,
      Job job,
      scala.collection.immutable.Map<String, String> options,
      StructType dataSchema) {
    TFRecordOptions opts = TFRecordPlanning.options(spark, javaMap(options));
    TFRecordPlanning.validateWrite(dataSchema, opts);
    return new TFRecordOutputWriterFactory(opts.recordType(), opts.writeCompression());
  }

  @Override
  public boolean isSplitable(
      SparkSession spark, scala.collection.immutable.Map<String, String> options, Path path) {
    return TFRecordPlanning.options(spark, javaMap(options))
        .readCompression(path.getName())
        .isSplittable();
  }

  @Override
  public scala.Function1<PartitionedFile, scala.collection.Iterator<InternalRow>>
      buildReaderWithPartitionValues(
          SparkSession spark,
          StructType dataSchema,
          StructType partitionSchema,
          StructType requiredSchema,
          Seq<Filter> filters,
          scala.collection.immutable.Map<String, String> options,
          Configuration hadoopConf) {
    TFRecordOptions opts = TFRecordPlanning.options(spark, javaMap(options));
    TFRecordPlanning.validateRead(requiredSchema, opts);
    Broadcast<SerializableHadoopConf> conf =
        HadoopConfBroadcasts.of(spark.sparkContext(), hadoopConf);
    return new ReadFunction(conf, requiredSchema, partitionSchema, opts);
  }

  @Override
  public scala.Function1<PartitionedFile, scala.collection.Iterator<InternalRow>> buildReader(
      SparkSession spark,
      StructType dataSchema,
      StructType partitionSchema,
      StructType requiredSchema,
      Seq<Filter> filters,
      scala.collection.immutable.Map<String, String> options,
      Configuration hadoopConf) {
    return buildReaderWithPartitionValues(
        spark, dataSchema, new StructType(), requiredSchema, filters, options, hadoopConf);
  }

  static Map<String, String> javaMap(scala.collection.Map<String, String> options) {
    return JavaConverters.mapAsJavaMap(options);
  }

  /** Runs on executors: one file split to unsafe rows with the partition values appended. */
  private static final class ReadFunction
      extends AbstractFunction1<PartitionedFile, scala.collection.Iterator<InternalRow>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<SerializableHadoopConf> conf;
    private final StructType requiredSchema;
    private final StructType partitionSchema;
    private final TFRecordOptions options;

    ReadFunction(
        Broadcast<SerializableHadoopConf> conf,
        StructType requiredSchema,
        StructType partitionSchema,
        TFRecordOptions options) {
      this.conf = conf;
      this.requiredSchema = requiredSchema;
      this.partitionSchema = partitionSchema;
      this.options = options;
    }

    @Override
    public scala.collection.Iterator<InternalRow> apply(PartitionedFile file) {
      TFRecordRowReader reader =
          TFRecordRowReader.open(conf.value().get(), file, requiredSchema, options);
      return new RowIterator(reader, requiredSchema, partitionSchema, file.partitionValues());
    }
  }

  /** Adapts a row reader to Spark's iterator, closing it at the end or when the task ends. */
  private static final class RowIterator extends scala.collection.AbstractIterator<InternalRow> {
    private final TFRecordRowReader reader;
    private final UnsafeProjection toUnsafe;
    private final JoinedRow joined = new JoinedRow();
    private final InternalRow partitionValues;
    private boolean fetched;
    private boolean hasRow;
    private boolean closed;

    RowIterator(
        TFRecordRowReader reader,
        StructType requiredSchema,
        StructType partitionSchema,
        InternalRow partitionValues) {
      this.reader = reader;
      this.partitionValues = partitionValues;
      // The reader's rows are already unsafe; only appended partition values need a projection.
      this.toUnsafe =
          partitionSchema.isEmpty()
              ? null
              : UnsafeProjection.create(concat(requiredSchema, partitionSchema));
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.addTaskCompletionListener((TaskCompletionListener) ctx -> close());
      }
    }

    private static StructType concat(StructType a, StructType b) {
      StructType all = a;
      for (org.apache.spark.sql.types.StructField f : b.fields()) {
        all = all.add(f);
      }
      return all;
    }

    @Override
    public boolean hasNext() {
      if (!fetched) {
        try {
          hasRow = !closed && reader.next();
        } catch (IOException e) {
          throw new UncheckedIOException(e.getMessage(), e);
        }
        fetched = true;
        if (!hasRow) {
          close();
        }
      }
      return hasRow;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException("No more TFRecord rows");
      }
      fetched = false;
      return toUnsafe == null
          ? reader.get()
          : toUnsafe.apply(joined.apply(reader.get(), partitionValues));
    }

    private void close() {
      if (!closed) {
        closed = true;
        try {
          reader.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
