package org.sparktf.core.internal.feed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The driver's record of how far one start of a cluster trained on the feed, and of the position
 * that goes with each checkpoint the chief saved.
 *
 * <p>Workers report what their node function had taken when it last asked for a batch (so every
 * such row went through a finished step and its update reached the parameter servers). Before it
 * saves, the chief asks the driver to record the position ({@link #checkpointing}) and waits for
 * the answer: every report recorded then was sent before the save began, so the checkpoint holds
 * all its rows. After the save the chief says so ({@link #checkpointed}). A row taken after its
 * worker's last report before the save is fed again after a restart: a report goes out at most
 * every {@link #REPORT_MILLIS} ms, which bounds the rows trained twice beyond those taken between
 * the checkpoint and the failure.
 */
public final class FeedTracker {
  /** How often a worker reports its position when it changed. */
  public static final long REPORT_MILLIS = 200;

  private final Map<Integer, Integer> runs;
  private final Map<Long, FeedPosition.Taken> taken;
  private final Map<Integer, Integer> runOfFeed = new HashMap<>();
  private final TreeMap<Long, FeedPosition> saving = new TreeMap<>();
  private FeedPosition committed;
  private long committedStep = -1;

  /** Starts from {@code base}: the position of the checkpoint this start restores. */
  public FeedTracker(FeedPosition base) {
    this.runs = new HashMap<>(base.runs());
    this.taken = new HashMap<>(base.taken());
  }

  /** Feeding job {@code feed} feeds run {@code run}, which has {@code partitions} partitions. */
  public synchronized void runStarted(int feed, int run, int partitions) {
    runOfFeed.put(feed, run);
    runs.put(run, partitions);
  }

  /** A worker's report (see {@link #toJson}); rows of feeds that are not training runs are not. */
  public synchronized void report(JsonNode positions) {
    for (JsonNode p : positions) {
      Integer run = runOfFeed.get(p.path("feed").asInt());
      if (run == null) {
        continue;
      }
      long key = FeedPosition.key(run, p.path("partition").asInt());
      FeedPosition.Taken now =
          new FeedPosition.Taken(
              new FeedLedger.Resume(
                  p.path("consumed").asLong(),
                  p.path("hash").asLong(),
                  p.path("hashedUpTo").asLong()),
              p.path("complete").asBoolean());
      FeedPosition.Taken before = taken.get(key);
      // Reports of one worker may overtake each other; a partition only ever grows.
      if (before == null
          || now.rows.consumed > before.rows.consumed
          || (now.rows.consumed == before.rows.consumed && now.complete)) {
        taken.put(key, now);
      }
    }
  }

  /** The position now. */
  public synchronized FeedPosition position() {
    return new FeedPosition(runs, taken);
  }

  /** The chief is about to save checkpoint {@code step}: records the position for it. */
  public synchronized void checkpointing(long step) {
    saving.put(step, position());
  }

  /** The chief saved checkpoint {@code step}: its position becomes the one to resume from. */
  public synchronized void checkpointed(long step) {
    FeedPosition position = saving.get(step);
    if (position != null) {
      committed = position;
      committedStep = step;
    }
    saving.headMap(step, true).clear();
  }

  /** The position of the newest checkpoint saved by this start; null when it saved none. */
  public synchronized FeedPosition committed() {
    return committed;
  }

  /**
   * The position a restart resumes from when it restores checkpoint {@code latest} of this start
   * (empty: none of this start's checkpoints): the one recorded for it, even when its save was not
   * confirmed (a node lost between the chief's commit and the driver hearing of it); else, when
   * none was recorded for it, the newest confirmed one (it holds fewer rows: some are trained
   * twice, none goes untrained). Null when this start saved none.
   */
  public synchronized FeedPosition restoredBy(OptionalLong latest) {
    if (latest.isPresent() && latest.getAsLong() != committedStep) {
      FeedPosition recorded = saving.get(latest.getAsLong());
      if (recorded != null) {
        return recorded;
      }
    }
    return committed;
  }

  /** A worker's positions as it reports them. */
  static ArrayNode toJson(List<FeedLedger.Position> positions) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (FeedLedger.Position p : positions) {
      array
          .addObject()
          .put("feed", p.feed)
          .put("partition", p.partition)
          .put("consumed", p.taken.consumed)
          .put("hash", p.taken.hash)
          .put("hashedUpTo", p.taken.hashedUpTo)
          .put("complete", p.complete);
    }
    return array;
  }
}
