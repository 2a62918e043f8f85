package org.sparktf.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparktf.core.internal.HadoopFiles;
import org.tensorflow.Session;

/**
 * Checkpoints in the model directory, on any Hadoop FileSystem: {@code <modelDir>/checkpoints/
 * ckpt-<step>.index} and {@code .data-*} files, and a {@code latest} file naming the newest step,
 * written last so a reader never sees a half-copied checkpoint. TensorFlow saves to the node's
 * local directory; the files are then copied through Hadoop's client.
 */
public final class Checkpoints {
  private static final String DIR = "checkpoints";
  private static final String LATEST = "latest";
  private static final Pattern FILE = Pattern.compile("ckpt-(\\d+)\\.(index|data-\\d+-of-\\d+)");

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

  /** Saves checkpoint {@code step} now, then drops checkpoints beyond the newest {@code keep}. */
  public void save(NodeContext ctx, Session session, long step) {
    save(session, ctx.hadoopConf(), ctx.modelDir(), ctx.localDir(), step);
    lastStep = step;
    lastSaveNanos = System.nanoTime();
    prune(ctx.hadoopConf(), ctx.modelDir(), keep);
  }

  /** Saves the session's variables as checkpoint {@code step} under {@code modelDir}. */
  public static void save(
      Session session,
      Configuration conf,
      String modelDir,
      java.nio.file.Path localDir,
      long step) {
    Path dir = new Path(modelDir, DIR);
    try {
      java.nio.file.Path staging = Files.createTempDirectory(localDir, "ckpt-");
      try {
        session.save(staging.resolve("ckpt-" + step).toString());
        try (var files = Files.list(staging)) {
          for (java.nio.file.Path file : (Iterable<java.nio.file.Path>) files::iterator) {
            HadoopFiles.upload(file, new Path(dir, file.getFileName().toString()), conf);
          }
        }
      } finally {
        deleteTree(staging);
      }
      HadoopFiles.writeString(new Path(dir, LATEST), Long.toString(step), conf);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot save checkpoint " + step + " to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The step of the newest complete checkpoint under {@code modelDir}, if any. */
  public static OptionalLong latestStep(Configuration conf, String modelDir) {
    Path latest = new Path(new Path(modelDir, DIR), LATEST);
    try {
      if (!latest.getFileSystem(conf).exists(latest)) {
        return OptionalLong.empty();
      }
      return OptionalLong.of(Long.parseLong(HadoopFiles.readString(latest, conf).trim()));
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("Cannot read " + latest + ": " + e.getMessage(), e);
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

  /** Restores the newest checkpoint under {@code modelDir} into {@code session}. */
  public static OptionalLong restoreLatest(
      Session session, Configuration conf, String modelDir, java.nio.file.Path localDir) {
    OptionalLong step = latestStep(conf, modelDir);
    if (step.isEmpty()) {
      return step;
    }
    Path dir = new Path(modelDir, DIR);
    String prefix = "ckpt-" + step.getAsLong();
    try {
      java.nio.file.Path staging = Files.createTempDirectory(localDir, "restore-");
      try {
        for (FileStatus file : HadoopFiles.list(dir, conf)) {
          if (file.getPath().getName().startsWith(prefix + ".")) {
            HadoopFiles.download(file.getPath(), staging.resolve(file.getPath().getName()), conf);
          }
        }
        session.restore(staging.resolve(prefix).toString());
      } finally {
        deleteTree(staging);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot restore checkpoint " + prefix + " from " + dir + ": " + e.getMessage(), e);
    }
    return step;
  }

  private static void prune(Configuration conf, String modelDir, int keep) {
    Path dir = new Path(modelDir, DIR);
    try {
      FileStatus[] files = HadoopFiles.list(dir, conf);
      TreeSet<Long> steps = new TreeSet<>();
      for (FileStatus file : files) {
        Matcher m = FILE.matcher(file.getPath().getName());
        if (m.matches()) {
          steps.add(Long.parseLong(m.group(1)));
        }
      }
      List<Long> old =
          new ArrayList<>(steps.headSet(steps.isEmpty() ? 0 : nth(steps, keep), false));
      FileSystem fs = dir.getFileSystem(conf);
      for (FileStatus file : files) {
        Matcher m = FILE.matcher(file.getPath().getName());
        if (m.matches() && old.contains(Long.parseLong(m.group(1)))) {
          fs.delete(file.getPath(), false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot prune old checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The smallest step among the newest {@code keep}. */
  private static long nth(TreeSet<Long> steps, int keep) {
    List<Long> descending = new ArrayList<>(steps.descendingSet());
    return descending.get(Math.min(keep, descending.size()) - 1);
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
