package org.sparktf.datasource.tfrecord.internal;

import java.io.Closeable;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.sparktf.datasource.tfrecord.TFRecordOptions;
import org.sparktf.datasource.tfrecord.TFRecordOptions.Mode;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordCorruptException;
import org.sparktf.tfrecord.io.TFRecordFrameReader;

/**
 * Reads the rows of one file split: frames, then decodes only the required columns, applying the
 * corrupt-record mode. Shared by the V1 {@code FileFormat} and the V2 partition reader. Owns (and
 * closes) its frame reader; the caller closes this reader.
 *
 * <p>Rows are {@code UnsafeRow}s: written straight from the record buffer when the {@value
 * TFRecordOptions#DIRECT_ROWS} option is on and the columns allow it, else decoded to a generic row
 * and projected. Corrupt-record rows (PERMISSIVE) are always projected.
 *
 * <p>With an empty required schema (e.g. {@code count()}) no record is parsed: frames are only
 * counted.
 */
public final class TFRecordRowReader implements Closeable {

  private final String file;
  private final TFRecordFrameReader frames;
  private final TFRecordDecoder decoder;
  private final Mode mode;
  private final boolean needsData;
  private final int width;
  private final int corruptColumn;
  private final StructType requiredSchema;
  // Built on first use: direct rows need no projection, and generating one costs every task.
  private UnsafeProjection toUnsafe;
  private final boolean direct;
  private final UnsafeRow emptyRow;
  private UnsafeRow current;

  /**
   * Opens the split [start, start + length) of a file.
   *
   * @param requiredSchema the columns to produce (data columns only; partition values are appended
   *     by the caller)
   */
  public TFRecordRowReader(
      Configuration conf,
      Path path,
      long start,
      long length,
      StructType requiredSchema,
      TFRecordOptions options)
      throws IOException {
    this.file = path.toString();
    this.mode = options.mode();
    this.width = requiredSchema.length();
    this.needsData = width > 0;
    this.corruptColumn = indexOf(requiredSchema, options.corruptRecordColumn());
    this.decoder =
        needsData
            ? new TFRecordDecoder(
                requiredSchema,
                options.recordType(),
                options.corruptRecordColumn(),
                options.directRows())
            : null;
    this.direct = decoder != null && decoder.writesUnsafeRows();
    this.requiredSchema = requiredSchema;
    this.emptyRow = needsData ? null : toUnsafe().apply(new GenericInternalRow(0)).copy();
    TFRecordCompression compression = options.readCompression(path.getName());
    this.frames =
        TFRecordFrameReader.open(conf, path, start, length, compression, options.verifyCrc());
  }

  /** Opens the split of a file that Spark planned; wraps I/O errors with the file's name. */
  public static TFRecordRowReader open(
      Configuration conf,
      org.apache.spark.sql.execution.datasources.PartitionedFile file,
      StructType requiredSchema,
      TFRecordOptions options) {
    try {
      return new TFRecordRowReader(
          conf, file.toPath(), file.start(), file.length(), requiredSchema, options);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(
          "Cannot open TFRecord file " + file.filePath() + ": " + e, e);
    }
  }

  /** Advances to the next row; false at the end of the split. */
  public boolean next() throws IOException {
    while (true) {
      try {
        if (!(needsData ? frames.next() : frames.skipNext())) {
          return false;
        }
        current =
            needsData
                ? unsafe(decoder.decode(frames.data(), frames.dataOffset(), frames.length()))
                : emptyRow;
        return true;
      } catch (TFRecordCorruptException e) {
        if (mode == Mode.FAILFAST) {
          throw e;
        }
        if (mode == Mode.PERMISSIVE) {
          current = corruptRow(e.getMessage());
          return true;
        }
      } catch (TFRecordDecodeException e) {
        if (mode == Mode.FAILFAST) {
          throw TFRecordErrors.cannotDecode(file, frames.recordOffset(), e);
        }
        if (mode == Mode.PERMISSIVE) {
          current = corruptRow(TFRecordErrors.decodeFailureNote(file, frames.recordOffset(), e));
          return true;
        }
      }
    }
  }

  /** The current row; valid until the next call to {@link #next()}. */
  public UnsafeRow get() {
    return current;
  }

  /** Whether rows are written straight from the record buffer, without a projection. */
  public boolean writesDirectly() {
    return direct;
  }

  private UnsafeRow unsafe(InternalRow decoded) {
    return direct ? (UnsafeRow) decoded : toUnsafe().apply(decoded);
  }

  private UnsafeRow corruptRow(String what) {
    GenericInternalRow row = new GenericInternalRow(width);
    if (corruptColumn >= 0) {
      row.update(corruptColumn, UTF8String.fromString(what));
    }
    return toUnsafe().apply(row);
  }

  private UnsafeProjection toUnsafe() {
    if (toUnsafe == null) {
      toUnsafe = UnsafeProjection.create(requiredSchema);
    }
    return toUnsafe;
  }

  private static int indexOf(StructType schema, String column) {
    for (int i = 0; column != null && i < schema.length(); i++) {
      if (schema.fields()[i].name().equals(column)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    frames.close();
  }
}
