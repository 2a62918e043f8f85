package org.sparktf.core.internal.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.sparktf.core.TFClusterException;
import org.sparktf.core.columnar.ColumnBatchEncoder;
import org.sparktf.core.columnar.TensorFrames;
import org.sparktf.core.internal.ControlChannel;

/** A feeding task's side of the feed: streams one partition to one worker. */
public final class PartitionFeeder {
  private PartitionFeeder() {}

  /**
   * Feeds a training partition. Returns early, skipping the rest, when the worker terminated its
   * feed.
   *
   * @return the rows the worker took
   */
  public static long train(
      Iterator<InternalRow> rows, FeedPlan plan, int partition, Set<Integer> localNodes) {
    FeedPlan.Target worker = plan.pick(partition, localNodes);
    long fed = 0;
    try (ControlChannel channel = open(plan, worker, "train", partition)) {
      if (channel == null) {
        return 0;
      }
      DataOutputStream out = channel.output();
      DataInputStream in = channel.input();
      ColumnBatchEncoder encoder = new ColumnBatchEncoder(plan.schema);
      int unacked = 0;
      while (rows.hasNext()) {
        encoder.add(rows.next());
        if (encoder.rows() >= FeedProtocol.FRAME_ROWS
            || encoder.bytes() >= FeedProtocol.FRAME_BYTES) {
          fed += encoder.rows();
          sendFrame(encoder, out);
          if (++unacked >= FeedProtocol.WINDOW) {
            if (!acked(in)) {
              return fed;
            }
            unacked--;
          }
        }
      }
      if (encoder.rows() > 0) {
        fed += encoder.rows();
        sendFrame(encoder, out);
        unacked++;
      }
      out.writeByte(FeedProtocol.END);
      out.flush();
      while (unacked-- > 0) {
        if (!acked(in)) {
          return fed;
        }
      }
      return fed;
    } catch (SocketTimeoutException e) {
      throw stalled(plan, worker, partition);
    } catch (IOException e) {
      throw new TFClusterException(
          "Cannot feed partition " + partition + " to " + worker.name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Sends a partition for inference and returns its rows, each followed by its outputs, as the
   * worker answers. Keeps at most a few frames of rows in memory.
   */
  public static Iterator<Row> infer(
      Iterator<InternalRow> rows,
      FeedPlan plan,
      int partition,
      Set<Integer> localNodes,
      scala.Function1<Object, Object> toRow,
      String[] outputs) {
    FeedPlan.Target worker = plan.pick(partition, localNodes);
    ControlChannel channel;
    try {
      channel = open(plan, worker, "infer", partition);
    } catch (IOException e) {
      throw new TFClusterException(
          "Cannot send partition "
              + partition
              + " to "
              + worker.name
              + " for inference: "
              + e.getMessage(),
          e);
    }
    if (channel == null) {
      throw new TFClusterException(
          "Cannot run inference on partition "
              + partition
              + ": "
              + worker.name
              + " terminated its feed");
    }
    return new InferenceIterator(rows, plan, worker, partition, channel, toRow, outputs);
  }

  private static ControlChannel open(
      FeedPlan plan, FeedPlan.Target worker, String mode, int partition) throws IOException {
    ControlChannel channel =
        ControlChannel.connect(
            worker.host, worker.port, plan.secret, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS);
    try {
      channel.send(ControlChannel.message("feed").put("mode", mode).put("partition", partition));
      channel.readTimeout((int) Math.min(Integer.MAX_VALUE, plan.feedTimeoutMillis));
      ObjectNode reply = channel.receive();
      if ("terminated".equals(reply.path("type").asText())) {
        channel.close();
        return null;
      }
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void sendFrame(ColumnBatchEncoder encoder, DataOutputStream out)
      throws IOException {
    out.writeByte(FeedProtocol.FRAME);
    encoder.write(out);
    out.flush();
  }

  private static boolean acked(DataInputStream in) throws IOException {
    int reply = in.readUnsignedByte();
    if (reply == FeedProtocol.TERMINATED) {
      return false;
    }
    if (reply != FeedProtocol.ACK) {
      throw new IOException("Invalid feed reply: " + reply);
    }
    return true;
  }

  private static TFClusterException stalled(FeedPlan plan, FeedPlan.Target worker, int partition) {
    return new TFClusterException(
        "Cannot feed partition "
            + partition
            + " to "
            + worker.name
            + ": it took no data for "
            + plan.feedTimeoutMillis / 1000
            + " s (feedTimeout); its node function stopped reading batches, hung, or died");
  }

  /** Streams a partition through a worker, frame by frame, yielding input rows plus outputs. */
  private static final class InferenceIterator implements Iterator<Row> {
    private static final int WINDOW = 2;
    private final Iterator<InternalRow> input;
    private final FeedPlan plan;
    private final FeedPlan.Target worker;
    private final int partition;
    private final ControlChannel channel;
    private final scala.Function1<Object, Object> toRow;
    private final String[] outputs;
    private final ColumnBatchEncoder encoder;
    private final Deque<Row> awaiting = new ArrayDeque<>();
    private final Deque<Row> ready = new ArrayDeque<>();
    private boolean inputDone;
    private boolean closed;

    InferenceIterator(
        Iterator<InternalRow> input,
        FeedPlan plan,
        FeedPlan.Target worker,
        int partition,
        ControlChannel channel,
        scala.Function1<Object, Object> toRow,
        String[] outputs) {
      this.input = input;
      this.plan = plan;
      this.worker = worker;
      this.partition = partition;
      this.channel = channel;
      this.toRow = toRow;
      this.outputs = outputs;
      this.encoder = new ColumnBatchEncoder(plan.schema);
    }

    @Override
    public boolean hasNext() {
      try {
        while (ready.isEmpty() && !(inputDone && awaiting.isEmpty())) {
          if (!inputDone && awaiting.size() < WINDOW * FeedProtocol.FRAME_ROWS) {
            sendFrame();
          } else {
            receive();
          }
        }
        if (ready.isEmpty()) {
          finish();
          return false;
        }
        return true;
      } catch (SocketTimeoutException e) {
        closeQuietly();
        throw stalled(plan, worker, partition);
      } catch (IOException e) {
        closeQuietly();
        throw new TFClusterException(
            "Cannot run inference on partition "
                + partition
                + " with "
                + worker.name
                + ": "
                + e.getMessage(),
            e);
      }
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private void sendFrame() throws IOException {
      while (input.hasNext() && encoder.rows() < FeedProtocol.FRAME_ROWS) {
        InternalRow row = input.next();
        encoder.add(row);
        awaiting.add((Row) toRow.apply(row));
      }
      if (encoder.rows() > 0) {
        PartitionFeeder.sendFrame(encoder, channel.output());
      }
      if (!input.hasNext()) {
        inputDone = true;
        channel.output().writeByte(FeedProtocol.END);
        channel.output().flush();
      }
    }

    private void receive() throws IOException {
      DataInputStream in = channel.input();
      int tag = in.readUnsignedByte();
      if (tag == FeedProtocol.TERMINATED) {
        throw new IOException("the worker terminated its feed before answering every row");
      }
      if (tag != FeedProtocol.RESULT) {
        throw new IOException("Invalid inference reply: " + tag);
      }
      TensorFrames.Result result =
          TensorFrames.read(in, awaiting.size(), FeedProtocol.MAX_FRAME_BYTES);
      for (String name : outputs) {
        if (!result.columns.containsKey(name)) {
          throw new IOException(
              "the worker's results lack output '"
                  + name
                  + "'; it sent "
                  + result.columns.keySet());
        }
      }
      for (int i = 0; i < result.rows; i++) {
        Row in0 = awaiting.poll();
        Object[] values = new Object[in0.length() + outputs.length];
        for (int c = 0; c < in0.length(); c++) {
          values[c] = in0.get(c);
        }
        for (int o = 0; o < outputs.length; o++) {
          values[in0.length() + o] = result.columns.get(outputs[o]).value(i);
        }
        ready.add(RowFactory.create(values));
      }
    }

    private void finish() {
      if (!closed) {
        closeQuietly();
      }
    }

    private void closeQuietly() {
      closed = true;
      try {
        channel.close();
      } catch (IOException e) {
        // Nothing more will be read from it.
      }
    }
  }
}
