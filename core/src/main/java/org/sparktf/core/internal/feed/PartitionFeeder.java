package org.sparktf.core.internal.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.TaskCompletionListener;
import org.sparktf.core.TFClusterException;
import org.sparktf.core.columnar.ColumnBatchEncoder;
import org.sparktf.core.columnar.TensorFrames;
import org.sparktf.core.internal.ControlChannel;

/** A feeding task's side of the feed: streams one partition to one worker. */
public final class PartitionFeeder {
  private PartitionFeeder() {}

  /**
   * Feeds a training partition. Returns early, skipping the rest, when the worker terminated its
   * feed. A retry ({@code attempt > 0}) goes to the worker that took rows of an earlier attempt, if
   * any, and skips those rows after checking that they are the same.
   *
   * @return the rows of the partition read
   */
  public static long train(
      Iterator<InternalRow> rows,
      FeedPlan plan,
      int partition,
      int attempt,
      Set<Integer> localNodes) {
    FeedPlan.Target worker = target(plan, partition, attempt, localNodes);
    Opened opened;
    try {
      opened = open(plan, worker, "train", partition, attempt);
    } catch (IOException e) {
      throw cannotFeed(worker, partition, e);
    }
    if (opened == null) {
      return 0;
    }
    try (ControlChannel channel = opened.channel) {
      WriteWatchdog watchdog = new WriteWatchdog(channel.socket(), plan.feedTimeoutMillis);
      DataOutputStream out = channel.output();
      DataInputStream in = channel.input();
      Prefix prefix = new Prefix(opened.resume, worker, partition);
      ColumnBatchEncoder encoder = new ColumnBatchEncoder(plan.schema);
      long row = 0; // The partition's row the frame being collected starts at.
      int unacked = 0;
      while (rows.hasNext()) {
        encoder.add(rows.next());
        if (encoder.rows() >= FeedProtocol.FRAME_ROWS
            || encoder.bytes() >= FeedProtocol.FRAME_BYTES) {
          long first = row;
          row += encoder.rows();
          if (emit(encoder, first, prefix, out, watchdog) && ++unacked >= FeedProtocol.WINDOW) {
            if (!acked(in)) {
              return row;
            }
            unacked--;
          }
        }
      }
      if (encoder.rows() > 0) {
        long first = row;
        row += encoder.rows();
        if (emit(encoder, first, prefix, out, watchdog)) {
          unacked++;
        }
      }
      prefix.requireComplete(row);
      watchdog.write(
          () -> {
            out.writeByte(FeedProtocol.END);
            out.flush();
          });
      while (unacked-- > 0) {
        if (!acked(in)) {
          return row;
        }
      }
      return row;
    } catch (SocketTimeoutException e) {
      throw stalled(plan, worker, partition);
    } catch (IOException e) {
      throw cannotFeed(worker, partition, e);
    }
  }

  private static TFClusterException cannotFeed(
      FeedPlan.Target worker, int partition, IOException e) {
    return new TFClusterException(
        "Cannot feed partition " + partition + " to " + worker.name + ": " + e.getMessage(), e);
  }

  /**
   * Sends the collected frame; only hashes it when an earlier attempt already fed all its rows.
   * Returns whether it was sent.
   */
  private static boolean emit(
      ColumnBatchEncoder encoder,
      long firstRow,
      Prefix prefix,
      DataOutputStream out,
      WriteWatchdog watchdog)
      throws IOException {
    if (!prefix.covers(firstRow)) {
      watchdog.write(() -> writeFrame(encoder, firstRow, out));
      return true;
    }
    int rows = encoder.rows();
    CRC32C crc = new CRC32C();
    if (prefix.coversAll(firstRow, rows)) {
      encoder.write(
          new DataOutputStream(new CheckedOutputStream(OutputStream.nullOutputStream(), crc)));
      prefix.add(crc, rows, firstRow + rows);
      return false;
    }
    // The frame the earlier attempt's rows end in: the worker cuts off what it already took.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    encoder.write(new DataOutputStream(new CheckedOutputStream(bytes, crc)));
    prefix.add(crc, rows, firstRow + rows);
    watchdog.write(
        () -> {
          out.writeByte(FeedProtocol.FRAME);
          out.writeLong(firstRow);
          bytes.writeTo(out);
          out.flush();
        });
    return true;
  }

  /**
   * The worker for a partition. A first attempt picks one; a retry asks every worker, which also
   * stops each from taking more of an earlier attempt (whose executor may be gone without its
   * socket saying so), and goes where rows were already taken: a training retry must resume there.
   */
  private static FeedPlan.Target target(
      FeedPlan plan, int partition, int attempt, Set<Integer> localNodes) {
    FeedPlan.Target picked = plan.pick(partition, localNodes);
    if (attempt == 0) {
      return picked;
    }
    FeedPlan.Target fed = null;
    for (FeedPlan.Target worker : plan.workers) {
      try (Opened probe = open(plan, worker, "probe", partition, attempt)) {
        if (probe != null && probe.resume.consumed > 0) {
          fed = worker;
        }
      } catch (IOException e) {
        throw cannotFeed(worker, partition, e);
      }
    }
    return fed != null ? fed : picked;
  }

  /**
   * Sends a partition for inference and returns its rows, each followed by its outputs, as the
   * worker answers. Keeps at most a few frames of rows in memory. The connection closes when the
   * task ends, however it ends, so that the worker drops what a failed attempt queued.
   */
  public static Iterator<Row> infer(
      Iterator<InternalRow> rows,
      FeedPlan plan,
      int partition,
      int attempt,
      Set<Integer> localNodes,
      scala.Function1<Object, Object> toRow,
      String[] outputs) {
    FeedPlan.Target worker = target(plan, partition, attempt, localNodes);
    Opened opened;
    try {
      opened = open(plan, worker, "infer", partition, attempt);
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
    if (opened == null) {
      throw new TFClusterException(
          "Cannot run inference on partition "
              + partition
              + ": "
              + worker.name
              + " terminated its feed");
    }
    InferenceIterator results =
        new InferenceIterator(rows, plan, worker, partition, opened.channel, toRow, outputs);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) context -> results.closeQuietly());
    }
    return results;
  }

  /** An open feed connection and where the worker says the partition resumes. */
  private static final class Opened implements java.io.Closeable {
    final ControlChannel channel;
    final FeedLedger.Resume resume;

    Opened(ControlChannel channel, FeedLedger.Resume resume) {
      this.channel = channel;
      this.resume = resume;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /** Opens a connection; null when the worker terminated its feed. */
  private static Opened open(
      FeedPlan plan, FeedPlan.Target worker, String mode, int partition, int attempt)
      throws IOException {
    ControlChannel channel =
        ControlChannel.connect(
            worker.host, worker.port, plan.secret, ControlChannel.HANDSHAKE_TIMEOUT_MILLIS);
    try {
      ObjectNode request =
          ControlChannel.message("feed")
              .put("mode", mode)
              .put("feed", plan.feed)
              .put("partition", partition)
              .put("attempt", attempt);
      FeedLedger.Resume from = plan.start(partition);
      if ("train".equals(mode) && from.consumed > 0) {
        request
            .put("fromConsumed", from.consumed)
            .put("fromHash", from.hash)
            .put("fromHashedUpTo", from.hashedUpTo);
      }
      channel.send(request);
      channel.readTimeout((int) Math.min(Integer.MAX_VALUE, plan.feedTimeoutMillis));
      ObjectNode reply = channel.receive();
      String type = reply.path("type").asText();
      if ("terminated".equals(type)) {
        channel.close();
        return null;
      }
      if (!"ready".equals(type)) {
        throw new IOException(reply.path("message").asText("unexpected reply " + type));
      }
      return new Opened(
          channel,
          new FeedLedger.Resume(
              reply.path("consumed").asLong(),
              reply.path("hash").asLong(),
              reply.path("hashedUpTo").asLong()));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void writeFrame(ColumnBatchEncoder encoder, long firstRow, DataOutputStream out)
      throws IOException {
    out.writeByte(FeedProtocol.FRAME);
    out.writeLong(firstRow);
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

  /**
   * The rows an earlier attempt of the partition already handed to the worker's node function. The
   * retry does not send them again, but checks that its own first rows hash the same: a partition
   * whose rows differ from one attempt to the next cannot be resumed without training on some rows
   * twice and on others never.
   */
  private static final class Prefix {
    private final FeedLedger.Resume taken;
    private final FeedPlan.Target worker;
    private final int partition;
    private long hash = FeedProtocol.HASH_SEED;

    Prefix(FeedLedger.Resume taken, FeedPlan.Target worker, int partition) {
      this.taken = taken;
      this.worker = worker;
      this.partition = partition;
    }

    /** Whether the frame starting at {@code firstRow} holds rows already taken. */
    boolean covers(long firstRow) {
      return firstRow < taken.consumed;
    }

    boolean coversAll(long firstRow, int rows) {
      return firstRow + rows <= taken.consumed;
    }

    /** Adds a frame of the prefix; once the prefix is complete, compares it. */
    void add(CRC32C crc, int rows, long end) {
      hash = FeedProtocol.chain(hash, (int) crc.getValue(), rows);
      if (end >= taken.consumed && (hash != taken.hash || end != taken.hashedUpTo)) {
        throw differs();
      }
    }

    /** The partition ended after {@code rows} rows: fewer than were taken means it changed. */
    void requireComplete(long rows) {
      if (rows < taken.consumed) {
        throw differs();
      }
    }

    private TFClusterException differs() {
      return new TFClusterException(
          "Cannot feed partition "
              + partition
              + " to "
              + worker.name
              + " again after its feeding task was retried or the cluster restarted from a"
              + " checkpoint: this read gave other rows than the "
              + taken.consumed
              + " already trained on, so the DataFrame is not deterministic (for"
              + " example rand(), a shuffle without a total order, or a source that changed)."
              + " Cache or checkpoint the DataFrame before training (df.cache() or"
              + " df.localCheckpoint()), or make its source deterministic");
    }
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
    private final WriteWatchdog watchdog;
    private long sentRows;
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
      this.watchdog = new WriteWatchdog(channel.socket(), plan.feedTimeoutMillis);
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
      } catch (RuntimeException e) {
        // The input failed: the worker drops what this attempt queued, and Spark retries it.
        closeQuietly();
        throw e;
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
      DataOutputStream out = channel.output();
      if (encoder.rows() > 0) {
        long first = sentRows;
        sentRows += encoder.rows();
        watchdog.write(() -> writeFrame(encoder, first, out));
      }
      if (!input.hasNext()) {
        inputDone = true;
        watchdog.write(
            () -> {
              out.writeByte(FeedProtocol.END);
              out.flush();
            });
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

    void closeQuietly() {
      closed = true;
      try {
        channel.close();
      } catch (IOException e) {
        // Nothing more will be read from it.
      }
    }
  }
}
