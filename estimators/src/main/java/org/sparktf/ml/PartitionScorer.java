package org.sparktf.ml;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.tensorflow.Result;
import org.tensorflow.SessionFunction;
import org.tensorflow.Tensor;

/**
 * Scores one partition batch by batch, each output row the input row joined to its outputs.
 *
 * <p>Batches are double-buffered: while TensorFlow runs batch k on a helper thread, the task thread
 * reads and converts batch k+1 and then hands out the rows of batch k-1, so Spark's work and
 * TensorFlow's overlap instead of taking turns. Small batches are scored in the task thread, where
 * a thread hand-off would cost more than it saves. Rows handed out are views, valid until the next
 * call to {@link #hasNext} (Spark's contract for internal rows).
 */
final class PartitionScorer implements Iterator<InternalRow> {
  /** Batches smaller than this are scored in the task thread. */
  static final int MIN_OVERLAPPED_BATCH = 16;

  private final Iterator<InternalRow> input;
  private final SessionFunction function;
  private final String exportDir;
  private final int batchSize;
  private final Slot[] slots;
  private final ExecutorService runner; // null: run in the task thread
  private final JoinedRow joined = new JoinedRow();
  private Slot running; // submitted, not yet collected
  private Future<?> run;
  private Slot emitting;
  private int next;
  private boolean closed;

  /** Everything one batch owns: its rows, its input tensors while they exist, its outputs. */
  private static final class Slot {
    final RowArena rows;
    final BatchInputs inputs;
    final BatchInputs.Buffers buffers;
    final UnsafeRow cursor;
    final BatchOutputs outputs;
    Map<String, Tensor> feeds;

    Slot(TFModel.Plan plan, BatchInputs inputs, RowArena rows) {
      this.rows = rows;
      this.inputs = inputs;
      this.buffers = inputs.newBuffers();
      this.cursor = rows.newRow();
      this.outputs = new BatchOutputs(plan.outputs);
    }
  }

  PartitionScorer(TFModel.Plan plan, SessionFunction function, Iterator<InternalRow> input) {
    this.input = input;
    this.function = function;
    this.exportDir = plan.exportDir;
    this.batchSize = plan.batchSize;
    RowArena first = new RowArena(plan.inputSchema, plan.batchSize);
    RowArena second = new RowArena(plan.inputSchema, plan.batchSize);
    // One BatchInputs for the partition: its row numbers in error messages count across batches.
    BatchInputs inputs = new BatchInputs(plan, first);
    this.slots = new Slot[] {new Slot(plan, inputs, first), new Slot(plan, inputs, second)};
    this.runner =
        batchSize >= MIN_OVERLAPPED_BATCH
            ? Executors.newSingleThreadExecutor(
                task -> {
                  Thread thread = new Thread(task, "sparktf-tfmodel-score");
                  thread.setDaemon(true);
                  return thread;
                })
            : null;
    TaskContext task = TaskContext.get();
    if (task != null) {
      // Also when the task fails or stops early (a limit): no tensor or thread outlives it.
      task.addTaskCompletionListener(
          (org.apache.spark.util.TaskCompletionListener) context -> close());
    }
  }

  @Override
  public boolean hasNext() {
    if (emitting != null && next < emitting.rows.rows()) {
      return true;
    }
    return !closed && advance();
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    int r = next++;
    return joined.apply(emitting.rows.pointTo(emitting.cursor, r), emitting.outputs.at(r));
  }

  /** Makes the next scored batch the one handed out; false when the partition is done. */
  private boolean advance() {
    Slot free = emitting; // every row of it was handed out
    emitting = null;
    while (true) {
      Slot spare = free != null ? free : (running == slots[0] ? slots[1] : slots[0]);
      // Read and convert the next batch while TensorFlow runs the submitted one.
      boolean filled = fill(spare);
      Slot done = collect();
      if (filled) {
        submit(spare);
      }
      if (done != null) {
        emitting = done;
        next = 0;
        return true;
      }
      if (running == null) {
        close();
        return false;
      }
      free = null; // the first batch is running: fill the other slot before waiting for it
    }
  }

  private boolean fill(Slot slot) {
    slot.rows.clear();
    while (slot.rows.rows() < batchSize && input.hasNext()) {
      slot.rows.add(input.next());
      slot.inputs.add(slot.rows, slot.rows.rows() - 1, slot.buffers, batchSize);
    }
    if (slot.rows.rows() == 0) {
      return false;
    }
    slot.feeds = slot.inputs.finish(slot.rows, slot.buffers, batchSize);
    return true;
  }

  private void submit(Slot slot) {
    running = slot;
    if (runner == null) {
      score(slot);
    } else {
      run = runner.submit(() -> score(slot));
    }
  }

  private Slot collect() {
    Slot done = running;
    if (done == null) {
      return null;
    }
    running = null;
    if (run != null) {
      Future<?> pending = run;
      run = null;
      try {
        pending.get();
      } catch (ExecutionException e) {
        throw TFModelErrors.scoringFailed(exportDir, done.rows.rows(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot score: the task was interrupted", e);
      }
    }
    return done;
  }

  private void score(Slot slot) {
    try (Result result = function.call(slot.feeds)) {
      slot.outputs.load(result, slot.rows.rows());
    } finally {
      slot.feeds = null;
      slot.buffers.closeTemporaries();
    }
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    run = null; // a batch still in flight (the task stopped early) is not wanted any more
    Runnable release =
        () -> {
          for (Slot slot : slots) {
            slot.buffers.close();
          }
        };
    if (runner == null) {
      release.run();
    } else {
      // Queued behind any batch in flight, so no tensor is closed while TensorFlow uses it.
      runner.execute(release);
      runner.shutdown();
    }
  }
}
