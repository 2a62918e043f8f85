package org.sparktf.tfrecord.io;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes TFRecord frames: {@code u64 length | u32 masked CRC of length | data | u32 masked CRC of
 * data}, little-endian. Owns and closes its stream. Not thread-safe.
 */
public final class TFRecordFrameWriter implements Closeable {
  private final OutputStream out;
  private final TFRecordCrc crc = new TFRecordCrc();
  private final byte[] header = new byte[12];
  private final byte[] footer = new byte[4];

  public TFRecordFrameWriter(OutputStream out) {
    this.out = new BufferedOutputStream(out, 64 * 1024);
  }

  /** Appends one record. */
  public void write(byte[] data, int offset, int length) throws IOException {
    LittleEndian.writeLongLE(header, 0, length);
    LittleEndian.writeIntLE(header, 8, crc.masked(header, 0, 8));
    LittleEndian.writeIntLE(footer, 0, crc.masked(data, offset, length));
    out.write(header);
    out.write(data, offset, length);
    out.write(footer);
  }

  /** Pushes buffered records to the underlying stream. */
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
