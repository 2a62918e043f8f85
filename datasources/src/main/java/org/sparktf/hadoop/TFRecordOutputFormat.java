package org.sparktf.hadoop;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.io.compress.GzipCodec;
import org.apache.hadoop.mapreduce.RecordWriter;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;

/**
 * Writes {@code (record bytes, ignored)} pairs as TFRecord files, byte-compatible with
 * tensorflow-hadoop's {@code TFRecordFileOutputFormat}, for {@code saveAsNewAPIHadoopFile}.
 * Compression follows {@code FileOutputFormat.setCompressOutput} / {@code setOutputCompressorClass}
 * ({@code GzipCodec} is GZIP, {@code DefaultCodec} ZLIB, as TensorFlow reads them), or {@link
 * TFRecordInputFormat#COMPRESSION}. Files end in {@code .tfrecord} plus {@code .gz} or {@code
 * .zlib}.
 */
public class TFRecordOutputFormat extends FileOutputFormat<BytesWritable, NullWritable> {

  static TFRecordCompression compressionOf(TaskAttemptContext context) {
    Configuration conf = context.getConfiguration();
    String forced = conf.get(TFRecordInputFormat.COMPRESSION);
    if (forced != null) {
      return TFRecordCompression.fromOption(forced);
    }
    if (!getCompressOutput(context)) {
      return TFRecordCompression.NONE;
    }
    return TFRecordCompression.fromCodec(
        getOutputCompressorClass(context, GzipCodec.class).getName());
  }

  @Override
  public RecordWriter<BytesWritable, NullWritable> getRecordWriter(TaskAttemptContext context)
      throws IOException {
    TFRecordCompression compression = compressionOf(context);
    Path file = getDefaultWorkFile(context, ".tfrecord" + compression.extension());
    OutputStream out = file.getFileSystem(context.getConfiguration()).create(file, false);
    TFRecordFrameWriter frames = new TFRecordFrameWriter(compression.compress(out));
    return new RecordWriter<>() {
      @Override
      public void write(BytesWritable record, NullWritable ignored) throws IOException {
        frames.write(record.getBytes(), 0, record.getLength());
      }

      @Override
      public void close(TaskAttemptContext ignored) throws IOException {
        frames.close();
      }
    };
  }
}
