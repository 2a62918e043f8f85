package org.sparktf.core.internal.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import org.sparktf.core.DataFeed;
import org.sparktf.core.columnar.ColumnBatch;
import org.sparktf.core.columnar.ColumnBatchDecoder;
import org.sparktf.core.columnar.TensorFrames;
import org.sparktf.core.internal.ControlChannel;
import org.tensorflow.Tensor;

/**
 * A worker's feed endpoint, in the node process: feeding tasks connect, authenticate with the
 * cluster secret, and stream frames of rows into the worker's {@link DataFeed}.
 */
public final class FeedServer implements Closeable {
  private static final int QUEUE_FRAMES = 16;

  private final byte[] secret;
  private final ServerSocket server;
  private final DataFeedImpl feed;
  private final Thread acceptor;
  private final java.util.Set<Socket> sockets = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public FeedServer(byte[] secret, long feedTimeoutMillis, String node) throws IOException {
    this.secret = secret.clone();
    this.feed = new DataFeedImpl(QUEUE_FRAMES, feedTimeoutMillis, node);
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(0), 64);
    this.acceptor = new Thread(this::acceptLoop, "sparktf-feed-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public DataFeed feed() {
    return feed;
  }

  /** The driver says every partition has been fed. */
  public void endOfFeed() {
    feed.endOfFeed();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  /**
   * The node failed: drop every feeding connection at once, so feeding tasks fail now instead of
   * waiting out the feed timeout on a worker that will never read again.
   */
  public void abort() {
    try {
      server.close();
    } catch (IOException e) {
      // Closing is all that is wanted.
    }
    for (Socket socket : sockets) {
      try {
        socket.close();
      } catch (IOException e) {
        // Same.
      }
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        Thread reader = new Thread(() -> serve(socket), "sparktf-feed-connection");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        if (!server.isClosed()) {
          System.err.println("Feed server cannot accept: " + e);
        }
      }
    }
  }

  private void serve(Socket socket) {
    sockets.add(socket);
    try (ControlChannel channel = ControlChannel.accept(socket, secret, 30_000)) {
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
    } catch (IOException e) {
      System.err.println("Feed connection ended: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      sockets.remove(socket);
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
