package org.sparktf.core.internal.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.Map;
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

  public DataFeed feed() {
    return feed;
  }

  /** The driver says every partition has been fed. */
  public void endOfFeed() {
    feed.endOfFeed();
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
      boolean inference = "infer".equals(request.path("mode").asText());
      if (feed.isTerminated()) {
        channel.send(ControlChannel.message("terminated"));
        return;
      }
      channel.send(ControlChannel.message("ready"));
      Connection connection = new Connection(channel.output());
      DataInputStream in = channel.input();
      ColumnBatchDecoder decoder = new ColumnBatchDecoder(FeedProtocol.MAX_FRAME_BYTES);
      while (in.readUnsignedByte() == FeedProtocol.FRAME) {
        ColumnBatch batch = decoder.read(in);
        if (inference) {
          connection.expect(batch.rows());
        }
        boolean queued = feed.put(new DataFeedImpl.Chunk(batch, inference ? connection : null));
        if (!queued) {
          connection.terminated();
        } else if (!inference) {
          connection.ack();
        }
      }
      // Inference results are still on their way: keep the connection until all are sent.
      connection.awaitAnswered(feed);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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

    void awaitAnswered(DataFeedImpl feed) throws InterruptedException {
      synchronized (out) {
        while (unanswered > 0 && !closed && !feed.isTerminated()) {
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

    void sendResults(Map<String, ? extends Tensor> outputs, int rows) {
      synchronized (out) {
        try {
          out.writeByte(FeedProtocol.RESULT);
          TensorFrames.write(outputs, rows, out);
          out.flush();
          unanswered -= rows;
          out.notifyAll();
        } catch (IOException e) {
          closed = true;
          out.notifyAll();
          throw new UncheckedIOException("Cannot send inference results to the feeding task", e);
        }
      }
    }
  }
}
