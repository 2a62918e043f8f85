package org.sparktf.tfrecord.io;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparktf.tfrecord.io.TFRecordCorruptException.Kind;

/**
 * Reads TFRecord frames from a stream, or from one split of an uncompressed file. A split yields
 * exactly the records whose frame starts inside it: it resynchronises on the first offset at or
 * after its start where both the length CRC and the data CRC verify, and reads the last record
 * whole even past its end. Owns and closes its stream. Not thread-safe.
 */
public final class TFRecordFrameReader implements Closeable {
  private static final int HEADER = 12;
  private static final int FOOTER = 4;

  /** The longest record a frame can hold: the whole frame must fit in one byte array. */
  private static final int MAX_LENGTH = ByteSource.MAX_BUFFER - HEADER - FOOTER;

  /** Resync treats longer lengths as noise when the file length is unknown (compressed). */
  private static final long MAX_RESYNC_LENGTH = 256L << 20;

  /** Hadoop's default (io.file.buffer.size, 4 KiB) costs a system call per 4 KiB on local disks. */
  private static final int OPEN_BUFFER = 256 * 1024;

  /**
   * The stream buffer of a file read without checksum files: smaller than the reads {@link
   * ByteSource} makes, so that those go straight from the file into its buffer, with no copy
   * through the stream's own.
   */
  private static final int RAW_OPEN_BUFFER = 4 * 1024;

  private final ByteSource source;
  private final String file;
  private final boolean verifyCrc;
  private final long end;
  private final long fileLength;
  private final TFRecordCrc crc = new TFRecordCrc();
  private byte[] data = new byte[0];
  private int dataOffset;
  private int length;

  /** Bytes of the current frame still in the buffer, consumed at the next call. */
  private int pending;

  private long recordOffset = -1;

  /** Where the frame being read (or the resync candidate) starts, for errors. */
  private long frameOffset;

  private boolean needsResync;
  private boolean finished;

  private TFRecordFrameReader(
      InputStream in, long start, long end, long fileLength, String file, boolean verifyCrc) {
    // Without a file length (a decompressed stream) nothing bounds a record's declared length.
    this.source = new ByteSource(in, start, fileLength < 0);
    this.file = file;
    this.verifyCrc = verifyCrc;
    this.end = end;
    this.fileLength = fileLength;
    this.needsResync = start > 0;
  }

  /** Reads a whole stream, already decompressed by the caller if it was compressed. */
  public TFRecordFrameReader(InputStream in, String fileName, boolean verifyCrc) {
    this(in, 0, Long.MAX_VALUE, -1, fileName, verifyCrc);
  }

  /**
   * Opens the records of {@code file} whose frames start in {@code [start, start + length)}.
   * Compressed files are read whole: {@code start} must then be 0 and {@code length} is ignored.
   */
  public static TFRecordFrameReader open(
      Configuration conf,
      Path file,
      long start,
      long length,
      TFRecordCompression compression,
      boolean verifyCrc)
      throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    int buffer = OPEN_BUFFER;
    if (verifyCrc && fs instanceof ChecksumFileSystem) {
      // Hadoop's local file system checks a CRC32 per 512 bytes against a ".crc" file beside each
      // file it wrote: on top of the CRC32C of every length and record verified here, that cost
      // a third of the reading thread's CPU on MNIST-like files. Every byte of a frame is covered
      // by a TFRecord CRC, so damage is still found, and reported as TFRecord damage with the
      // file and the record's offset. With verifyCrc off, Hadoop's check stays.
      fs = ((ChecksumFileSystem) fs).getRawFileSystem();
      buffer = RAW_OPEN_BUFFER;
    }
    if (compression != TFRecordCompression.NONE) {
      if (start != 0) {
        throw new IllegalArgumentException(
            "Cannot read "
                + compression
                + "-compressed TFRecord file "
                + file
                + " from offset "
                + start
                + ": compressed files are not splittable");
      }
      InputStream in = compression.decompress(fs.open(file, buffer));
      return new TFRecordFrameReader(in, 0, Long.MAX_VALUE, -1, file.toString(), verifyCrc);
    }
    long fileLength = fs.getFileStatus(file).getLen();
    FSDataInputStream in = fs.open(file, buffer);
    try {
      if (start > 0) {
        in.seek(start);
      }
    } catch (IOException e) {
      in.close();
      throw e;
    }
    long end = length >= Long.MAX_VALUE - start ? Long.MAX_VALUE : start + length;
    return new TFRecordFrameReader(in, start, end, fileLength, file.toString(), verifyCrc);
  }

  /**
   * Advances to the next record: false at a clean end (end of stream at a frame boundary, or the
   * end of the split). Throws {@link TFRecordCorruptException} on damage; calling again resumes
   * after it (after a bad data CRC at the next frame, after a bad length by scanning for the next
   * intact frame; a truncated file then ends).
   */
  public boolean next() throws IOException {
    return advance(true);
  }

  /** Like {@link #next()}, but skips the payload unread when CRCs are not verified. */
  public boolean skipNext() throws IOException {
    return advance(verifyCrc);
  }

  /**
   * The buffer holding the current record's bytes at {@code [dataOffset(), dataOffset() +
   * length())}; valid until the next call (no copy is made).
   */
  public byte[] data() {
    return data;
  }

  public int dataOffset() {
    return dataOffset;
  }

  public int length() {
    return length;
  }

  /** The byte offset of the current record's frame in the (decompressed) stream. */
  public long recordOffset() {
    return recordOffset;
  }

  private boolean advance(boolean readData) throws IOException {
    if (pending > 0) {
      source.advance(pending);
      pending = 0;
    }
    if (finished) {
      return false;
    }
    frameOffset = source.position();
    try {
      return readFrame(readData);
    } catch (EOFException e) {
      // An inflater whose compressed input ends early: the decompressed stream is cut short.
      throw damaged(Kind.TRUNCATED, frameOffset, e);
    } catch (ZipException e) {
      throw damaged(Kind.BAD_COMPRESSION, frameOffset, e);
    }
  }

  private boolean readFrame(boolean readData) throws IOException {
    if (needsResync) {
      needsResync = false;
      if (!resync()) {
        finished = true;
        return false;
      }
    }
    long offset = source.position();
    if (offset >= end) {
      finished = true;
      return false;
    }
    int available = source.ensure(HEADER);
    if (available == 0) {
      finished = true;
      return false;
    }
    if (available < HEADER) {
      throw damaged(Kind.TRUNCATED, offset);
    }
    byte[] b = source.array();
    int h = source.offset();
    long len = LittleEndian.readLongLE(b, h);
    if (verifyCrc && LittleEndian.readIntLE(b, h + 8) != crc.masked(b, h, 8)) {
      needsResync = true;
      source.advance(1);
      throw damaged(Kind.BAD_LENGTH_CRC, offset);
    }
    if (len < 0 || len > Integer.MAX_VALUE - HEADER - FOOTER) {
      throw damaged(Kind.TOO_LARGE, offset);
    }
    recordOffset = offset;
    return readData ? readPayload(offset, (int) len) : skipPayload(offset, len);
  }

  private boolean readPayload(long offset, int len) throws IOException {
    int frame = HEADER + len + FOOTER;
    if (fileLength >= 0 && offset + frame > fileLength) {
      throw damaged(Kind.TRUNCATED, offset);
    }
    // A compressed stream has no length to check against: its buffer grows only as bytes arrive,
    // so a hostile length ends as TRUNCATED at the end of the stream, and is TOO_LARGE only once
    // that many bytes really came.
    boolean tooLarge = len > MAX_LENGTH;
    if (tooLarge && fileLength >= 0) {
      throw damaged(Kind.TOO_LARGE, offset);
    }
    int wanted = tooLarge ? ByteSource.MAX_BUFFER : frame;
    if (source.ensure(wanted) < wanted) {
      throw damaged(Kind.TRUNCATED, offset);
    }
    if (tooLarge) {
      throw damaged(Kind.TOO_LARGE, offset);
    }
    byte[] b = source.array();
    int d = source.offset() + HEADER;
    if (verifyCrc && LittleEndian.readIntLE(b, d + len) != crc.masked(b, d, len)) {
      source.advance(frame);
      throw damaged(Kind.BAD_DATA_CRC, offset);
    }
    data = b;
    dataOffset = d;
    length = len;
    pending = frame;
    return true;
  }

  private boolean skipPayload(long offset, long len) throws IOException {
    if (fileLength >= 0 && offset + HEADER + len + FOOTER > fileLength) {
      throw damaged(Kind.TRUNCATED, offset);
    }
    source.advance(HEADER);
    if (source.skip(len + FOOTER) < len + FOOTER) {
      throw damaged(Kind.TRUNCATED, offset);
    }
    length = 0;
    return true;
  }

  /** Moves to the first offset at or after the current one where a whole frame verifies. */
  private boolean resync() throws IOException {
    while (source.position() < end) {
      frameOffset = source.position();
      if (source.ensure(HEADER) < HEADER) {
        return false;
      }
      if (frameVerifiesHere()) {
        return true;
      }
      source.advance(1);
    }
    return false;
  }

  private boolean frameVerifiesHere() throws IOException {
    byte[] b = source.array();
    int h = source.offset();
    if (LittleEndian.readIntLE(b, h + 8) != crc.masked(b, h, 8)) {
      return false;
    }
    long len = LittleEndian.readLongLE(b, h);
    long limit =
        fileLength >= 0 ? fileLength - source.position() - HEADER - FOOTER : MAX_RESYNC_LENGTH;
    if (len < 0 || len > Math.min(limit, MAX_LENGTH)) {
      return false;
    }
    int frame = HEADER + (int) len + FOOTER;
    if (source.ensure(frame) < frame) {
      return false;
    }
    b = source.array();
    int d = source.offset() + HEADER;
    return LittleEndian.readIntLE(b, d + (int) len) == crc.masked(b, d, (int) len);
  }

  private TFRecordCorruptException damaged(Kind kind, long offset) {
    return damaged(kind, offset, null);
  }

  private TFRecordCorruptException damaged(Kind kind, long offset, IOException cause) {
    if (kind == Kind.TRUNCATED || kind == Kind.TOO_LARGE || kind == Kind.BAD_COMPRESSION) {
      finished = true;
    }
    return new TFRecordCorruptException(kind, file, offset, cause);
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
