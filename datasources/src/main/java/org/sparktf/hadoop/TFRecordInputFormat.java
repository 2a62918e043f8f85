package org.sparktf.hadoop;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordFrameReader;

/**
 * Reads TFRecord files as {@code (record bytes, null)} pairs, like tensorflow-hadoop's {@code
 * TFRecordFileInputFormat}, for {@code JavaSparkContext.newAPIHadoopFile}. Unlike it, uncompressed
 * files are split (each split resynchronises on its first intact record) and a truncated file is an
 * error rather than a silently dropped tail.
 *
 * <p>Compression is detected from the file extension ({@code .gz}, {@code .zlib}, {@code .deflate})
 * or forced with {@value #COMPRESSION} ({@code none}, {@code gzip}, {@code zlib}); CRC checks are
 * on unless {@value #VERIFY_CRC} is false.
 */
public class TFRecordInputFormat extends FileInputFormat<BytesWritable, NullWritable> {
  /** Configuration key forcing the compression of every file read. */
  public static final String COMPRESSION = "sparktf.tfrecord.compression";

  /** Configuration key: verify each record's CRC32C (default true). */
  public static final String VERIFY_CRC = "sparktf.tfrecord.verifyCrc";

  static TFRecordCompression compressionOf(Configuration conf, Path file) {
    String forced = conf.get(COMPRESSION);
    return forced != null
        ? TFRecordCompression.fromOption(forced)
        : TFRecordCompression.fromFileName(file.getName());
  }

  @Override
  protected boolean isSplitable(JobContext context, Path file) {
    return compressionOf(context.getConfiguration(), file).isSplittable();
  }

  @Override
  public RecordReader<BytesWritable, NullWritable> createRecordReader(
      InputSplit split, TaskAttemptContext context) {
    return new Reader();
  }

  /** The records of one split. */
  private static final class Reader extends RecordReader<BytesWritable, NullWritable> {
    private TFRecordFrameReader frames;
    private final BytesWritable key = new BytesWritable();
    private long start;
    private long length;

    @Override
    public void initialize(InputSplit split, TaskAttemptContext context) throws IOException {
      FileSplit fileSplit = (FileSplit) split;
      Configuration conf = context.getConfiguration();
      start = fileSplit.getStart();
      length = fileSplit.getLength();
      frames =
          TFRecordFrameReader.open(
              conf,
              fileSplit.getPath(),
              start,
              length,
              compressionOf(conf, fileSplit.getPath()),
              conf.getBoolean(VERIFY_CRC, true));
    }

    @Override
    public boolean nextKeyValue() throws IOException {
      if (!frames.next()) {
        return false;
      }
      key.set(frames.data(), frames.dataOffset(), frames.length());
      return true;
    }

    @Override
    public BytesWritable getCurrentKey() {
      return key;
    }

    @Override
    public NullWritable getCurrentValue() {
      return NullWritable.get();
    }

    @Override
    public float getProgress() {
      long offset = frames.recordOffset();
      return length <= 0 || offset < 0 ? 0f : Math.min(1f, (offset - start) / (float) length);
    }

    @Override
    public void close() throws IOException {
      if (frames != null) {
        frames.close();
      }
    }
  }
}
