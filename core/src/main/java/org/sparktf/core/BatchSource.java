package org.sparktf.core;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.types.TString;

/**
 * Where a {@link TrainingLoop} gets the feeds of its steps: one batch per step until the data ends.
 * A source is read by one thread, the node function's, and closed by the loop.
 *
 * <p>The factories cover the usual inputs: the rows Spark feeds ({@link #feed}) and serialized
 * TFRecords read by the worker itself ({@link #records}, with {@link TFRecordBatches}). Anything
 * else implements {@link #next} directly.
 */
public interface BatchSource extends AutoCloseable {
  /**
   * The feeds of the next step, or empty once the data (of this epoch) has ended. The loop closes
   * the batch after the step.
   */
  Optional<Batch> next();

  /**
   * Called when the loop stops before the data ended (it reached its step count or its time limit),
   * before {@link #close}: a Spark feed terminates here, so the driver skips the rest of the data
   * instead of waiting for this worker to read it. Does nothing by default.
   */
  default void stopEarly() {}

  /** Releases what the source holds; nothing by default. */
  @Override
  default void close() {}

  /**
   * The rows Spark feeds this worker ({@link InputMode#SPARK}), {@code batchSize} at a time, until
   * the feed ends; stopping early terminates the feed.
   *
   * @param toBatch the feeds of one batch of rows; the tensors it creates belong to the batch
   */
  static BatchSource feed(DataFeed feed, int batchSize, Function<FeedBatch, Batch> toBatch) {
    return new FeedSource(feed, batchSize, false, toBatch);
  }

  /**
   * Like {@link #feed}, but ends at the first batch shorter than {@code batchSize} and drops it:
   * for graphs that need every batch full (say, split evenly across towers).
   */
  static BatchSource fullFeedBatches(
      DataFeed feed, int batchSize, Function<FeedBatch, Batch> toBatch) {
    return new FeedSource(feed, batchSize, true, toBatch);
  }

  /**
   * Serialized records, {@code batchSize} at a time, from {@code reader} (for example {@link
   * TFRecordBatches#next}), until it returns an empty tensor.
   *
   * @param toBatch the feeds of one batch of records; the string tensor it is given, and any tensor
   *     it creates, belong to the batch (the batch closes each once, even one it feeds)
   * @param owned closed with the source, such as the {@link TFRecordBatches} behind {@code reader}
   */
  static BatchSource records(
      IntFunction<TString> reader,
      int batchSize,
      Function<TString, Batch> toBatch,
      AutoCloseable... owned) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("Invalid batch size: " + batchSize + "; it must be >= 1");
    }
    List<AutoCloseable> resources = List.of(owned);
    return new BatchSource() {
      @Override
      public Optional<Batch> next() {
        TString records = reader.apply(batchSize);
        if (records.shape().size(0) == 0) {
          records.close();
          return Optional.empty();
        }
        return Optional.of(Batch.convert(records, toBatch));
      }

      @Override
      public void close() {
        Batch.closeAll(resources);
      }
    };
  }

  /**
   * The feeds of one training step, and the tensors and other resources they come from. Closing it
   * closes each of them once.
   */
  final class Batch implements AutoCloseable {
    private final Map<Operand<?>, Tensor> feeds;
    private final Set<AutoCloseable> owned = Collections.newSetFromMap(new IdentityHashMap<>());

    private Batch(Map<Operand<?>, Tensor> feeds) {
      this.feeds = feeds;
    }

    /**
     * Feeds the given tensors (placeholders of the model to values); the batch owns the tensors and
     * anything in {@code alsoOwned}, such as the {@link org.tensorflow.Result} they belong to.
     */
    public static Batch of(Map<Operand<?>, Tensor> feeds, AutoCloseable... alsoOwned) {
      Batch batch = new Batch(Map.copyOf(feeds));
      batch.owned.addAll(feeds.values());
      batch.owned.addAll(List.of(alsoOwned));
      return batch;
    }

    /**
     * Feeds tensors that belong to {@code owner}, such as the {@link org.tensorflow.Result} of a
     * parsing run: the batch closes the owner, and not the tensors themselves.
     */
    public static Batch ownedBy(AutoCloseable owner, Map<Operand<?>, Tensor> feeds) {
      Batch batch = new Batch(Map.copyOf(feeds));
      batch.owned.add(owner);
      return batch;
    }

    /** The placeholders of the model and their values for this step. */
    public Map<Operand<?>, Tensor> feeds() {
      return feeds;
    }

    @Override
    public void close() {
      closeAll(owned);
    }

    /** {@code toBatch}'s batch of {@code input}, which it then also owns; closes input on error. */
    static <T extends AutoCloseable> Batch convert(T input, Function<T, Batch> toBatch) {
      Batch batch;
      try {
        batch = toBatch.apply(input);
      } catch (RuntimeException | Error e) {
        closeAll(List.of(input));
        throw e;
      }
      batch.owned.add(input);
      return batch;
    }

    static void closeAll(Iterable<? extends AutoCloseable> resources) {
      RuntimeException failure = null;
      for (AutoCloseable resource : resources) {
        try {
          resource.close();
        } catch (Exception e) {
          if (failure == null) {
            failure = new IllegalStateException("Cannot close " + resource + ": " + e, e);
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
  }
}
