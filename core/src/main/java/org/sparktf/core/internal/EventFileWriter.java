package org.sparktf.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparktf.core.SummaryWriter;
import org.sparktf.tfrecord.io.TFRecordFrameWriter;
import org.tensorflow.Graph;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

/**
 * A TensorBoard event file on any Hadoop FileSystem: {@code Event} protos framed as TFRecords,
 * named {@code events.out.tfevents.<seconds>.<host>} as TensorBoard expects, the first record
 * naming the file version. Thread-safe. Whoever opens the writer closes it (closing twice is
 * harmless); closing closes the file. Failures surface as {@link UncheckedIOException}s naming the
 * file; use after close as {@link IllegalStateException}.
 */
public final class EventFileWriter implements SummaryWriter {
  private static final java.util.concurrent.atomic.AtomicLong OPENED =
      new java.util.concurrent.atomic.AtomicLong();
  private final String logDir;
  private final Path file;
  private final FSDataOutputStream stream;
  private final TFRecordFrameWriter frames;
  private boolean closed;

  private EventFileWriter(String logDir, Path file, FSDataOutputStream stream) {
    this.logDir = logDir;
    this.file = file;
    this.stream = stream;
    this.frames = new TFRecordFrameWriter(stream);
  }

  /**
   * Creates {@code logDir} through Hadoop's FileSystem API if needed, and a new event file in it
   * whose first record names the file version. The caller owns and closes the writer; the writer
   * owns and closes the file's stream.
   *
   * @param logDir a Hadoop FileSystem URI or path ({@code file://}, {@code hdfs://}, ...)
   * @param hostname the host part of the file name
   */
  public static EventFileWriter open(Configuration conf, String logDir, String hostname) {
    if (logDir == null || logDir.isBlank()) {
      throw new IllegalArgumentException("Invalid TensorBoard log directory: '" + logDir + "'");
    }
    if (hostname == null || hostname.isBlank() || hostname.contains("/")) {
      throw new IllegalArgumentException(
          "Invalid hostname for a TensorBoard event file name: '" + hostname + "'");
    }
    long seconds = System.currentTimeMillis() / 1000;
    Path file = new Path(logDir, "events.out.tfevents." + seconds + "." + hostname);
    FSDataOutputStream stream;
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (fs instanceof ChecksumFileSystem) {
        // The local FileSystem's checksummed streams keep bytes back on hflush, and TensorBoard
        // would read the ".crc" side file as an event file: write the raw file instead.
        fs = ((ChecksumFileSystem) fs).getRawFileSystem();
      }
      fs.mkdirs(file.getParent());
      stream = fs.create(file, false);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create TensorBoard event file " + file + ": " + e.getMessage(), e);
    }
    EventFileWriter writer = new EventFileWriter(logDir, file, stream);
    try {
      writer.write(Event.newBuilder().setWallTime(now()).setFileVersion("brain.Event:2").build());
      writer.flush();
    } catch (RuntimeException e) {
      try {
        writer.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return writer;
  }

  @Override
  public synchronized void scalar(String tag, long step, double value) {
    if (tag == null || tag.isBlank()) {
      throw new IllegalArgumentException("Invalid summary tag: '" + tag + "'");
    }
    Summary summary =
        Summary.newBuilder()
            .addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue((float) value))
            .build();
    write(Event.newBuilder().setWallTime(now()).setStep(step).setSummary(summary).build());
  }

  @Override
  public synchronized void graph(Graph graph) {
    if (graph == null) {
      throw new IllegalArgumentException("Invalid graph for TensorBoard: null");
    }
    write(
        Event.newBuilder()
            .setWallTime(now())
            .setGraphDef(graph.toGraphDef().toByteString())
            .build());
  }

  @Override
  public synchronized void flush() {
    checkOpen();
    try {
      frames.flush();
      stream.hflush();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot flush TensorBoard event file " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String logDir() {
    return logDir;
  }

  /** The event file's path. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      frames.close();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot close TensorBoard event file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A name for the host part of an event file name that no other writer of this JVM uses: this
   * host's name (or "localhost" when it has none), the process id and a counter, as TensorFlow's
   * own writers do, so that two writers opened in the same second in one directory do not clash.
   * The name only tells files apart; nothing looks it up.
   */
  public static String uniqueHostPart() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName().replace('/', '_');
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    return host + "." + ProcessHandle.current().pid() + "." + OPENED.incrementAndGet();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(
          "Cannot write to TensorBoard event file " + file + ": it is closed");
    }
  }

  private void write(Event event) {
    checkOpen();
    byte[] bytes = event.toByteArray();
    try {
      frames.write(bytes, 0, bytes.length);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write TensorBoard event file " + file + ": " + e.getMessage(), e);
    }
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }
}
