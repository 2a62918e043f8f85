package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.sparktf.core.BatchSource.Batch;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** The batch sources a training loop reads, and who closes what. */
class BatchSourceTest {
  @Test
  void aBatchOwnedByAResultClosesTheResultOnceAndNotTheTensors() {
    AtomicInteger closed = new AtomicInteger();
    try (Graph graph = new Graph();
        TFloat32 value = TFloat32.scalarOf(4f)) {
      Placeholder<TFloat32> x = Ops.create(graph).placeholder(TFloat32.class);
      AutoCloseable owner = closed::incrementAndGet;
      Batch batch = Batch.ownedBy(owner, Map.of(x, value));
      assertThat(batch.feeds()).containsEntry(x, value);
      batch.close();
      assertThat(closed).hasValue(1);
      // The tensor belongs to the owner, not to the batch: still readable.
      assertThat(value.getFloat()).isEqualTo(4f);
    }
  }

  @Test
  void recordsEndAtTheFirstEmptyTensorAndCloseTheReaderWithTheSource() {
    AtomicInteger readerClosed = new AtomicInteger();
    List<Long> sizes = new ArrayList<>();
    int[] calls = {0};
    BatchSource source =
        BatchSource.records(
            max -> {
              calls[0]++;
              assertThat(max).isEqualTo(2);
              return TFRecordBatches.strings(
                  calls[0] <= 2 ? List.of(new byte[] {1}, new byte[] {2}) : List.of());
            },
            2,
            serialized -> {
              sizes.add(serialized.shape().size(0));
              return Batch.of(Map.of());
            },
            readerClosed::incrementAndGet);
    int batches = 0;
    for (Optional<Batch> next = source.next(); next.isPresent(); next = source.next()) {
      next.get().close();
      batches++;
    }
    assertThat(batches).isEqualTo(2);
    assertThat(sizes).containsExactly(2L, 2L);
    assertThat(readerClosed).hasValue(0);
    source.close();
    assertThat(readerClosed).hasValue(1);
  }

  @Test
  void aFeedEndsAtAnEmptyBatchOrAShortOneWhenOnlyFullBatchesCountAndTerminatesWhenStoppedEarly() {
    FakeFeed feed = new FakeFeed(4, 4, 3, 0);
    BatchSource source = BatchSource.feed(feed, 4, rows -> Batch.of(Map.of()));
    assertThat(drain(source)).isEqualTo(3); // 4, 4, 3 rows; the empty batch ends it
    source.stopEarly();
    assertThat(feed.terminated).isTrue();

    FakeFeed full = new FakeFeed(4, 4, 3, 0);
    assertThat(drain(BatchSource.fullFeedBatches(full, 4, rows -> Batch.of(Map.of()))))
        .isEqualTo(2);
    assertThat(full.terminated).isFalse();
  }

  private static int drain(BatchSource source) {
    int batches = 0;
    for (Optional<Batch> next = source.next(); next.isPresent(); next = source.next()) {
      next.get().close();
      batches++;
    }
    return batches;
  }

  /** A feed that hands out batches of the given row counts. */
  private static final class FakeFeed implements DataFeed {
    private final int[] rows;
    private int next;
    boolean terminated;

    FakeFeed(int... rows) {
      this.rows = rows;
    }

    @Override
    public FeedBatch nextBatch(int maxRows) {
      int count = next < rows.length ? rows[next++] : 0;
      return (FeedBatch)
          Proxy.newProxyInstance(
              FeedBatch.class.getClassLoader(),
              new Class<?>[] {FeedBatch.class},
              (proxy, method, args) -> {
                if (method.getName().equals("rows")) {
                  return count;
                }
                throw new UnsupportedOperationException(method.getName());
              });
    }

    @Override
    public boolean shouldStop() {
      return terminated || next >= rows.length;
    }

    @Override
    public void terminate() {
      terminated = true;
    }
  }
}
