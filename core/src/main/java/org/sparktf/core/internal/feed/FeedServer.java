package org.sparktf.core.internal.feed;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.sparktf.core.DataFeed;
import org.sparktf.core.columnar.ColumnBatch;
import org.sparktf.core.columnar.ColumnBatchDecoder;
import org.sparktf.core.columnar.TensorFrames;
import org.sparktf.core.internal.ControlChannel;
import org.sparktf.core.internal.ControlServer;
import org.sparktf.core.internal.PortRange;
import org.tensorflow.Tensor;

/**
 * A worker's feed endpoint, in the node process: feeding tasks connect, authenticate with the
 * cluster secret, and stream frames of rows into the worker's {@link DataFeed}.
 */
public final class FeedServer implements Closeable {
  private static final int QUEUE_FRAMES = 16;

  private final ControlServer server;
  private final DataFeedImpl feed;
  private final long feedTimeoutMillis;
  private final java.util.concurrent.atomic.AtomicLong bytesReceived =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Listens on a free port of {@code ports} on {@code host}, the executor's address that feeding
   * tasks connect to.
   */
  public FeedServer(
      byte[] secret, long feedTimeoutMillis, String node, InetAddress host, PortRange ports)
      throws IOException {
    this(secret, feedTimeoutMillis, node, host, ports, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS);
  }

  /** The same with another handshake timeout (tests shorten it). */
  FeedServer(
      byte[] secret,
      long feedTimeoutMillis,
      String node,
      InetAddress host,
      PortRange ports,
      int handshakeTimeoutMillis)
      throws IOException {
    this.feed = new DataFeedImpl(QUEUE_FRAMES, feedTimeoutMillis, node);
    this.feedTimeoutMillis = feedTimeoutMillis;
    this.server =
        new ControlServer(
            "feed",
            host,
            ports,
            secret,
            this::serve,
            line -> System.err.println(line),
            handshakeTimeoutMillis,
            ControlServer.MAX_PENDING);
  }

  public int port() {
    return server.port();
  }

  /** The name of the threads serving feed connections still in their handshake. */
  String handshakeThreadName() {
    return server.handshakeThreadName();
  }

  /** The bytes of frames this endpoint has received from feeding tasks (of every connection). */
  public long bytesReceived() {
    return bytesReceived.get();
  }

  /** Counts what frames read into {@link #bytesReceived}. */
  private final class CountingInput extends java.io.FilterInputStream {
    CountingInput(java.io.InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        bytesReceived.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        bytesReceived.addAndGet(n);
      }
      return n;
    }
  }

  /** The frames queued for the worker's function (each up to one feeding task's frame of rows). */
  public int queueDepth() {
    return feed.queueDepth();
  }

  public DataFeed feed() {
    return feed;
  }

  /**
   * What the node function had taken of each partition when it last asked for a batch (see {@link
   * FeedLedger#markStepped}), as the driver's {@link FeedTracker} reads it; null when unchanged
   * since {@code sinceVersion}. Element 0 of {@code version} receives the new version.
   */
  public ArrayNode steppedPositions(long sinceVersion, long[] version) {
    FeedLedger ledger = feed.ledger();
    List<FeedLedger.Position> positions;
    synchronized (ledger) {
      version[0] = ledger.steppedVersion();
      if (version[0] == sinceVersion) {
        return null;
      }
      positions = ledger.stepped();
    }
    return FeedTracker.toJson(positions);
  }

  /** The node function returned: every row it took went through its steps. */
  public void markAllStepped() {
    feed.ledger().markStepped();
  }

  /** The driver says every partition has been fed. */
  public void endOfFeed() {
    feed.endOfFeed();
  }

  /**
   * The node function returned: the feed is over for this worker, as if it had called {@link
   * DataFeed#terminate()}, so feeding tasks skip what they still have instead of waiting for the
   * feed timeout.
   */
  public void functionReturned() {
    if (!feed.hasEnded()) {
      System.err.println(
          "The node function returned before the feed ended: the rows still fed to this worker are"
              + " skipped (call DataFeed.terminate() to say so explicitly)");
    }
    feed.terminate();
  }

  /** Stops accepting feeding tasks; those connected go on. */
  @Override
  public void close() {
    server.stopAccepting();
  }

  /**
   * The node failed: drop every feeding connection at once, so feeding tasks fail now instead of
   * waiting out the feed timeout on a worker that will never read again.
   */
  public void abort() {
    server.close();
  }

  /** One feeding task's authenticated connection. */
  private void serve(ControlChannel channel) throws IOException {
    try {
      ObjectNode request = channel.receive();
      String mode = request.path("mode").asText();
      int feedId = request.path("feed").asInt();
      int partition = request.path("partition").asInt();
      int attemptNumber = request.path("attempt").asInt();
      if (feed.isTerminated()) {
        channel.send(ControlChannel.message("terminated"));
        return;
      }
      if ("probe".equals(mode)) {
        FeedLedger.Resume resume = feed.ledger().probe(feedId, partition, attemptNumber);
        channel.send(resume == null ? superseded(partition, attemptNumber) : ready(resume));
        return;
      }
      FeedLedger.Resume from =
          request.has("fromConsumed")
              ? new FeedLedger.Resume(
                  request.path("fromConsumed").asLong(),
                  request.path("fromHash").asLong(),
                  request.path("fromHashedUpTo").asLong())
              : FeedLedger.Resume.NONE;
      FeedLedger.Attempt attempt =
          feed.ledger().begin(feedId, partition, attemptNumber, channel::close, from);
      if (attempt == null) {
        channel.send(superseded(partition, attemptNumber));
        return;
      }
      FeedLedger.Resume resume = feed.ledger().resume(attempt);
      if (attemptNumber > 0) {
        System.err.println(
            "Feed "
                + feedId
                + ": attempt "
                + attemptNumber
                + " of partition "
                + partition
                + " replaces the earlier ones; "
                + resume.consumed
                + " of its rows were already taken");
      }
      channel.send(ready(resume));
      boolean inference = "infer".equals(mode);
      if (!inference) {
        // A feeding task that falls silent without closing (a frozen executor, a partition) must
        // not hold its partition for ever: past the feed timeout its retry takes over. (An
        // inference task waits for results between frames; its own reads are bounded.)
        channel.readTimeout((int) Math.min(Integer.MAX_VALUE, feedTimeoutMillis));
      }
      try {
        // An inference retry needs every row again: its results go back to it, not to training.
        receive(channel, inference, attempt, inference ? 0 : resume.consumed);
      } catch (IOException | RuntimeException e) {
        // The feeding task failed or went away: a retry sends what its frames held again.
        feed.ledger().abandon(attempt);
        throw e;
      }
    } catch (IOException e) {
      System.err.println("Feed connection ended: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ObjectNode ready(FeedLedger.Resume resume) {
    return ControlChannel.message("ready")
        .put("consumed", resume.consumed)
        .put("hash", resume.hash)
        .put("hashedUpTo", resume.hashedUpTo);
  }

  private static ObjectNode superseded(int partition, int attempt) {
    return ControlChannel.message("error")
        .put(
            "message",
            "attempt " + attempt + " of partition " + partition + " was superseded by a later one");
  }

  /**
   * Queues the frames of one attempt. Rows before {@code consumed} reached the node function in an
   * earlier attempt and are cut off.
   */
  private void receive(
      ControlChannel channel, boolean inference, FeedLedger.Attempt attempt, long consumed)
      throws IOException, InterruptedException {
    Connection connection = new Connection(channel.output());
    DataInputStream in = channel.input();
    // The frame's bytes are hashed as they are read, for a retry to compare with.
    CRC32C crc = new CRC32C();
    DataInputStream frames =
        new DataInputStream(new CheckedInputStream(new CountingInput(in), crc));
    ColumnBatchDecoder decoder = new ColumnBatchDecoder(FeedProtocol.MAX_FRAME_BYTES);
    long sent = consumed;
    int tag;
    while ((tag = in.readUnsignedByte()) == FeedProtocol.FRAME) {
      long firstRow = in.readLong();
      crc.reset();
      ColumnBatch batch = decoder.read(frames);
      int frameRows = batch.rows();
      sent = Math.max(sent, firstRow + frameRows);
      long start = firstRow;
      if (firstRow < consumed) {
        if (firstRow + frameRows <= consumed) {
          continue;
        }
        batch = batch.slice((int) (consumed - firstRow), frameRows);
        start = consumed;
      }
      if (inference) {
        connection.expect(batch.rows());
      }
      DataFeedImpl.Chunk chunk =
          new DataFeedImpl.Chunk(
              batch,
              inference ? connection : null,
              attempt,
              start,
              (int) crc.getValue(),
              frameRows);
      if (!feed.put(chunk)) {
        if (!feed.isTerminated()) {
          return; // Superseded: its connection is being closed.
        }
        connection.terminated();
      } else if (!inference) {
        connection.ack();
      }
    }
    if (tag != FeedProtocol.END) {
      throw new IOException("Invalid feed tag: " + tag);
    }
    if (!inference) {
      feed.ledger().sentAll(attempt, sent);
    }
    // Inference results are still on their way: keep the connection until all are sent.
    connection.awaitAnswered(() -> !feed.isTerminated() && feed.ledger().isLive(attempt));
  }

  /** The reply side of one feeding task's connection. */
  final class Connection {
    private final DataOutputStream out;
    private int unanswered; // Guarded by out.
    private boolean closed; // Guarded by out.

    Connection(DataOutputStream out) {
      this.out = out;
    }

    void expect(int rows) {
      synchronized (out) {
        unanswered += rows;
      }
    }

    void awaitAnswered(java.util.function.BooleanSupplier live) throws InterruptedException {
      synchronized (out) {
        while (unanswered > 0 && !closed && live.getAsBoolean()) {
          out.wait(100);
        }
      }
    }

    void ack() throws IOException {
      synchronized (out) {
        out.writeByte(FeedProtocol.ACK);
        out.flush();
      }
    }

    void terminated() {
      synchronized (out) {
        try {
          out.writeByte(FeedProtocol.TERMINATED);
          out.flush();
        } catch (IOException e) {
          // The feeder is gone already; nothing to tell it.
        }
        closed = true;
        out.notifyAll();
      }
    }

    /**
     * Sends a batch's results. A feeding task that went away (its Spark task failed; a retry sends
     * the rows again) loses them: that is logged, not thrown into the node function.
     */
    void sendResults(Map<String, ? extends Tensor> outputs, int rows) {
      synchronized (out) {
        if (closed) {
          return;
        }
        try {
          out.writeByte(FeedProtocol.RESULT);
          TensorFrames.write(outputs, rows, out);
          out.flush();
          unanswered -= rows;
          out.notifyAll();
        } catch (IOException e) {
          closed = true;
          out.notifyAll();
          System.err.println(
              "Dropping the inference results of "
                  + rows
                  + " rows: their feeding task went away ("
                  + e
                  + "); Spark retries it");
        }
      }
    }
  }
}
