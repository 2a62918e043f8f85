package org.sparktf.core;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.sparktf.core.internal.CheckpointAnnouncer;
import org.sparktf.core.internal.CheckpointStore;
import org.sparktf.core.internal.NodeContextImpl;
import org.tensorflow.Session;

/**
 * Checkpoints in the model directory, on any Hadoop FileSystem, under {@code
 * <modelDir>/checkpoints}. TensorFlow saves to the node's local directory; the files are then
 * copied through Hadoop's client.
 *
 * <p>Crash consistency: each checkpoint's files are uploaded under new names, then a commit record
 * naming them is written, last, through a temporary name and a rename to a new name (atomic on HDFS
 * and the local FS). The latest checkpoint is the newest complete one, so a crash at any point of a
 * save or a prune leaves the previous latest checkpoint, or the new one, to restore; a later save
 * removes what the crash left behind. Existing checkpoint files are never rewritten.
 *
 * <p>Fencing: every checkpoint carries the {@linkplain NodeContext#generation() generation} of the
 * cluster that saved it, and a newer generation's checkpoint is newer than any of an older
 * generation, whatever their steps. A save is refused once a newer generation has started on the
 * model directory, so a chief frozen across a restart cannot replace the new generation's
 * checkpoints when it wakes up.
 */
public final class Checkpoints {
  /** A checkpoint pruned by a concurrent save while being read: choose again this often. */
  private static final int RESTORE_ATTEMPTS = 3;

  private final long everySteps;
  private final long everyMillis;
  private final int keep;
  private long lastStep = -1;
  private long lastSaveNanos = System.nanoTime();

  private Checkpoints(long everySteps, long everyMillis, int keep) {
    this.everySteps = everySteps;
    this.everyMillis = everyMillis;
    this.keep = keep;
  }

  /**
   * A saver that saves when {@code everySteps} steps or {@code everySeconds} seconds passed since
   * its last save (0 disables either), keeping the newest {@code keep} checkpoints.
   */
  public static Checkpoints every(long everySteps, long everySeconds, int keep) {
    if (everySteps < 0 || everySeconds < 0 || keep < 1) {
      throw new IllegalArgumentException(
          "Invalid checkpoint policy: every "
              + everySteps
              + " steps / "
              + everySeconds
              + " s, keep "
              + keep
              + "; use non-negative intervals and keep >= 1");
    }
    return new Checkpoints(everySteps, everySeconds * 1000, keep);
  }

  /** Saves when the policy says so; returns whether it saved. */
  public boolean maybeSave(NodeContext ctx, Session session, long step) {
    boolean bySteps = everySteps > 0 && step - lastStep >= everySteps;
    boolean byTime =
        everyMillis > 0 && (System.nanoTime() - lastSaveNanos) / 1_000_000L >= everyMillis;
    if (lastStep == Long.MIN_VALUE && step == 0) {
      lastStep = 0;
      return false;
    }
    if (bySteps || byTime) {
      save(ctx, session, step);
      return true;
    }
    return false;
  }

  /**
   * Saves checkpoint {@code step} of this node's generation now, then drops checkpoints beyond the
   * newest {@code keep}. Saving a step that is already saved does nothing.
   *
   * @throws TFClusterException when a newer generation has started on the model directory
   */
  public void save(NodeContext ctx, Session session, long step) {
    save(
        session,
        ctx.hadoopConf(),
        ctx.modelDir(),
        ctx.localDir(),
        ctx.generation(),
        step,
        keep,
        ctx instanceof NodeContextImpl
            ? ((NodeContextImpl) ctx).checkpointAnnouncer()
            : CheckpointAnnouncer.NONE);
    lastStep = step;
    lastSaveNanos = System.nanoTime();
  }

  /**
   * Saves the session's variables as checkpoint {@code step} of {@code generation} under {@code
   * modelDir}, then keeps the newest {@code keep} checkpoints. On a node, use {@link
   * NodeContext#generation()}; a program outside a cluster passes a generation at least the newest
   * one the model directory has seen (1 for a new one).
   *
   * @throws TFClusterException when the model directory has seen a newer generation
   */
  public static void save(
      Session session,
      Configuration conf,
      String modelDir,
      java.nio.file.Path localDir,
      long generation,
      long step,
      int keep) {
    save(session, conf, modelDir, localDir, generation, step, keep, CheckpointAnnouncer.NONE);
  }

  /**
   * The same, telling {@code announcer} before and after an actual save: the driver records how far
   * training on the Spark feed had got with it, where a restarted cluster feeds again from.
   */
  private static void save(
      Session session,
      Configuration conf,
      String modelDir,
      java.nio.file.Path localDir,
      long generation,
      long step,
      int keep,
      CheckpointAnnouncer announcer) {
    CheckpointStore.Id id = new CheckpointStore.Id(generation, step);
    String where = modelDir + "/checkpoints";
    try {
      CheckpointStore store = new CheckpointStore(conf, modelDir);
      where = store.dir().toString();
      if (store.needsSave(id)) {
        announcer.saving(step);
        java.nio.file.Path staging = Files.createTempDirectory(localDir, "ckpt-");
        try {
          session.save(staging.resolve(id.prefix()).toString());
          try (var files = Files.list(staging)) {
            store.save(
                id,
                files
                    .filter(f -> f.getFileName().toString().startsWith(id.prefix() + "."))
                    .sorted()
                    .collect(Collectors.toList()));
          }
          announcer.saved(step);
        } finally {
          deleteTree(staging);
        }
      }
      store.prune(keep);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot save checkpoint " + step + " to " + where + ": " + e.getMessage(), e);
    }
  }

  /** The step of the newest complete checkpoint under {@code modelDir}, if any. */
  public static OptionalLong latestStep(Configuration conf, String modelDir) {
    try {
      Optional<CheckpointStore.Id> latest = new CheckpointStore(conf, modelDir).latest();
      return latest.isEmpty() ? OptionalLong.empty() : OptionalLong.of(latest.get().step());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read the checkpoints of " + modelDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Restores the newest checkpoint into {@code session}.
   *
   * @return its step, or empty when the model directory has no checkpoint
   */
  public static OptionalLong restoreLatest(NodeContext ctx, Session session) {
    return restoreLatest(session, ctx.hadoopConf(), ctx.modelDir(), ctx.localDir());
  }

  /**
   * Restores the newest checkpoint under {@code modelDir} into {@code session}: the newest
   * generation's, then the highest step.
   *
   * @return its step, or empty when the model directory has no checkpoint
   */
  public static OptionalLong restoreLatest(
      Session session, Configuration conf, String modelDir, java.nio.file.Path localDir) {
    return restore(session, conf, modelDir, localDir, CheckpointStore::latest);
  }

  /**
   * Restores checkpoint {@code step} (the newest generation's, if several saved it) under {@code
   * modelDir} into {@code session}: for readers that must all see the same checkpoint.
   *
   * @throws IllegalStateException when the model directory no longer holds it
   */
  public static void restore(
      Session session,
      Configuration conf,
      String modelDir,
      java.nio.file.Path localDir,
      long step) {
    if (restore(session, conf, modelDir, localDir, store -> store.find(step)).isEmpty()) {
      throw new IllegalStateException(
          "Cannot restore checkpoint "
              + step
              + ": "
              + modelDir
              + "/checkpoints no longer holds it; keep more checkpoints or read them sooner");
    }
  }

  /** Which checkpoint to restore, chosen again when a save pruned the last choice meanwhile. */
  private interface Choice {
    Optional<CheckpointStore.Id> of(CheckpointStore store) throws IOException;
  }

  private static OptionalLong restore(
      Session session,
      Configuration conf,
      String modelDir,
      java.nio.file.Path localDir,
      Choice choice) {
    String where = modelDir + "/checkpoints";
    try {
      CheckpointStore store = new CheckpointStore(conf, modelDir);
      where = store.dir().toString();
      for (int attempt = 1; ; attempt++) {
        Optional<CheckpointStore.Id> id = choice.of(store);
        if (id.isEmpty()) {
          return OptionalLong.empty();
        }
        java.nio.file.Path staging = Files.createTempDirectory(localDir, "restore-");
        try {
          session.restore(store.download(id.get(), staging).toString());
          return OptionalLong.of(id.get().step());
        } catch (FileNotFoundException e) {
          if (attempt == RESTORE_ATTEMPTS) {
            throw e;
          }
        } finally {
          deleteTree(staging);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot restore a checkpoint from " + where + ": " + e.getMessage(), e);
    }
  }

  private static void deleteTree(java.nio.file.Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (java.nio.file.Path path :
          (Iterable<java.nio.file.Path>)
              paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(path);
      }
    }
  }
}
