package org.sparktf.datasource.tfrecord;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.internal.TFRecordEncoder;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;

/**
 * Creates one writer per output file of a task. Spark's commit protocol stages these files and
 * publishes them only when the job commits, so a failed job leaves no partial output.
 */
final class TFRecordOutputWriterFactory extends OutputWriterFactory {
  private static final long serialVersionUID = 1L;
  private final TFRecordType recordType;
  private final TFRecordCompression compression;

  TFRecordOutputWriterFactory(TFRecordType recordType, TFRecordCompression compression) {
    this.recordType = recordType;
    this.compression = compression;
  }

  @Override
  public String getFileExtension(TaskAttemptContext context) {
    return ".tfrecord" + compression.extension();
  }

  @Override
  public OutputWriter newInstance(String path, StructType dataSchema, TaskAttemptContext context) {
    try {
      Path file = new Path(path);
      OutputStream out = file.getFileSystem(context.getConfiguration()).create(file, false);
      return new Writer(path, new TFRecordEncoder(dataSchema, recordType), compress(out));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create TFRecord file " + path + ": " + e, e);
    }
  }

  private OutputStream compress(OutputStream out) throws IOException {
    try {
      return compression.compress(out);
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** Writes the rows of one file. Owns and closes its stream. */
  private static final class Writer extends OutputWriter {
    private final String path;
    private final TFRecordEncoder encoder;
    private final TFRecordFrameWriter frames;

    Writer(String path, TFRecordEncoder encoder, OutputStream out) {
      this.path = path;
      this.encoder = encoder;
      this.frames = new TFRecordFrameWriter(out);
    }

    @Override
    public void write(InternalRow row) {
      byte[] bytes = encoder.encode(row);
      try {
        frames.write(bytes, 0, encoder.length());
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write TFRecord file " + path + ": " + e, e);
      }
    }

    @Override
    public void close() {
      try {
        frames.close();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot close TFRecord file " + path + ": " + e, e);
      }
    }

    @Override
    public String path() {
      return path;
    }
  }
}
