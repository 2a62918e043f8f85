package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparktf.core.FaultyFileSystem.Fault;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Checkpoints on a real Hadoop FileSystem ({@link #innerRoot()}) seen through {@link
 * FaultyFileSystem}: a save that fails or crashes at any of its changes leaves a complete
 * checkpoint at least as new as the one before, and the next save cleans up after it; the same step
 * saved twice, orphan files and a superseded generation do no harm. The checkpointed model is one
 * variable holding the step, so a restored value shows which checkpoint was restored, whole.
 */
abstract class CheckpointConsistencyContract {
  private static final int KEEP = 2;
  private static final Pattern DATA = Pattern.compile("ckpt-(\\d+)-g(\\d+)\\..*");
  private static final Pattern POINTER = Pattern.compile("latest-(\\d+)-g(\\d+)");

  @TempDir Path localDir;

  /** The real file system's root for this test's model directories: file:/// or hdfs://.../. */
  abstract String innerRoot();

  /** A directory on the real file system, empty, for this test's model directories. */
  abstract String baseDir() throws IOException;

  /** FaultyFileSystem's authority for this file system: one cached instance each. */
  abstract String authority();

  Configuration conf() {
    Configuration conf = new Configuration();
    conf.set("fs." + FaultyFileSystem.SCHEME + ".impl", FaultyFileSystem.class.getName());
    conf.set(FaultyFileSystem.INNER, innerRoot());
    return conf;
  }

  private String modelDir(String name) throws IOException {
    return FaultyFileSystem.SCHEME + "://" + authority() + baseDir() + "/" + name;
  }

  private FaultyFileSystem faulty() throws IOException {
    return (FaultyFileSystem)
        new org.apache.hadoop.fs.Path(FaultyFileSystem.SCHEME + "://" + authority() + "/")
            .getFileSystem(conf());
  }

  @AfterEach
  void closeFileSystem() throws IOException {
    faulty().close();
  }

  /** The faults to inject at each change of a save. */
  Set<Fault> faults() {
    return EnumSet.allOf(Fault.class);
  }

  @Test
  void aSaveThatFailsOrCrashesAtAnyChangeLeavesACompleteCheckpointAndTheNextSaveCleansUp()
      throws IOException {
    FaultyFileSystem faulty = faulty();
    String dir = modelDir("crashes");
    faulty.healthy();
    saveSteps(dir, 1, 10, 20);
    faulty.healthy();
    save(dir, 1, 30, 30f);
    // Two data files and the commit record, each a create and a rename; the prune's deletes. Every
    // round below starts from the same state: two complete checkpoints and nothing else.
    List<String> changes = faulty.changes();
    assertThat(changes).hasSizeGreaterThanOrEqualTo(8);

    long step = 30;
    for (Fault fault : faults()) {
      for (int at = 0; at < changes.size(); at++) {
        String what = fault + " at " + changes.get(at);
        long before = step;
        step += 10;
        faulty.failAt(at, fault);
        long crashed = step;
        Throwable thrown = catchThrowable(() -> save(dir, 1, crashed, crashed));
        faulty.healthy();
        if (fault == Fault.THROW_BEFORE && changes.get(at).startsWith("delete")) {
          // Cleaning up after the commit: a failure only leaves files for the next save.
          assertThat(thrown).as(what).isNull();
        } else {
          assertThat(thrown)
              .as(what)
              .isInstanceOfAny(UncheckedIOException.class, FaultyFileSystem.Crash.class);
        }
        long after = restoredStep(dir);
        assertThat(after).as(what).isIn(before, crashed);
        assertThat(Checkpoints.latestStep(conf(), dir)).as(what).hasValue(after);

        step += 10;
        save(dir, 1, step, step);
        assertThat(restoredStep(dir)).as(what).isEqualTo(step);
        assertThat(leftovers(dir)).as(what).isEmpty();
        assertThat(steps(dir, DATA)).as(what).containsExactly(after, step);
        assertThat(steps(dir, POINTER)).as(what).containsExactly(after, step);
      }
    }
  }

  @Test
  void theSameStepSavedTwiceKeepsTheFirstFilesAndChangesNothing() throws IOException {
    String dir = modelDir("twice");
    FaultyFileSystem faulty = faulty();
    faulty.healthy();
    save(dir, 1, 10, 10f);
    faulty.healthy();
    // MnistTraining's final save after its last periodic one: the same step again.
    save(dir, 1, 10, 99f);
    assertThat(faulty.changes()).isEmpty();
    assertThat(restored(dir)).isEqualTo(10f);
  }

  @Test
  void pruneKeepsTheLatestCheckpointWhateverOrphanFilesLieAround() throws IOException {
    String dir = modelDir("orphans");
    faulty().healthy();
    saveSteps(dir, 1, 10, 20);
    FileSystem real = realDir(dir).getFileSystem(conf());
    for (String orphan :
        List.of(
            "ckpt-999-g1.index",
            "ckpt-999-g1.data-00000-of-00001",
            "ckpt-999.index",
            "ckpt-999.data-00000-of-00001",
            "latest")) {
      real.create(new org.apache.hadoop.fs.Path(realDir(dir), orphan)).close();
    }
    save(dir, 1, 30, 30f, 1);

    assertThat(restoredStep(dir)).isEqualTo(30);
    assertThat(steps(dir, POINTER)).containsExactly(30L);
    // A save in progress may own files newer than the latest: they stay.
    assertThat(names(dir)).contains("ckpt-999-g1.index", "ckpt-999.index");
  }

  @Test
  void aSupersededGenerationCannotSaveAndNeverBecomesTheLatest() throws IOException {
    String dir = modelDir("fenced");
    faulty().healthy();
    long first = ClusterGeneration.nextNumber(conf(), dir);
    saveSteps(dir, first, 10, 20);

    // The driver restarts the cluster: the old chief, frozen meanwhile, wakes up and saves.
    long second = ClusterGeneration.nextNumber(conf(), dir);
    assertThat(second).isGreaterThan(first);
    assertThatThrownBy(() -> save(dir, first, 30, 30f))
        .isInstanceOf(TFClusterException.class)
        .hasMessageContaining("Cannot save checkpoint 30")
        .hasMessageContaining("generation " + first + " has been superseded by " + second);
    assertThat(restoredStep(dir)).isEqualTo(20);

    // The new generation resumes from 20 and saves 25; the old chief's save of 30 slips through
    // the window between its check and its commit: 25 of the newer generation stays the latest.
    save(dir, second, 25, 25f);
    String stale = modelDir("stale");
    save(stale, first, 30, 30f);
    FileSystem real = realDir(dir).getFileSystem(conf());
    for (FileStatus file : real.listStatus(realDir(stale))) {
      if (file.getPath().getName().contains("30-g" + first)) {
        FileUtil.copy(real, file.getPath(), real, realDir(dir), false, conf());
      }
    }
    assertThat(steps(dir, POINTER)).contains(30L);
    assertThat(restoredStep(dir)).isEqualTo(25);
    assertThat(Checkpoints.latestStep(conf(), dir)).hasValue(25);
  }

  /** Saves {@code steps} of {@code generation}, each holding its own step as the value. */
  private void saveSteps(String dir, long generation, long... steps) {
    for (long step : steps) {
      save(dir, generation, step, step);
    }
  }

  private void save(String dir, long generation, long step, float value) {
    save(dir, generation, step, value, KEEP);
  }

  private void save(String dir, long generation, long step, float value, int keep) {
    try (OneVariable model = session(value)) {
      Checkpoints.save(model.session, conf(), dir, localDir, generation, step, keep);
    }
  }

  /** The restored step, after checking the restored value is that step's. */
  private long restoredStep(String dir) {
    try (OneVariable model = session(-1f)) {
      OptionalLong step = Checkpoints.restoreLatest(model.session, conf(), dir, localDir);
      assertThat(step).isPresent();
      assertThat(model.value()).isEqualTo((float) step.getAsLong());
      return step.getAsLong();
    }
  }

  private float restored(String dir) {
    try (OneVariable model = session(-1f)) {
      assertThat(Checkpoints.restoreLatest(model.session, conf(), dir, localDir)).isPresent();
      return model.value();
    }
  }

  /** {@code dir}'s checkpoints on the real file system. */
  private org.apache.hadoop.fs.Path realDir(String dir) {
    java.net.URI root = java.net.URI.create(innerRoot());
    return new org.apache.hadoop.fs.Path(
        root.getScheme(),
        root.getAuthority(),
        new org.apache.hadoop.fs.Path(dir).toUri().getPath() + "/checkpoints");
  }

  private List<String> names(String dir) throws IOException {
    List<String> names = new ArrayList<>();
    for (FileStatus file : realDir(dir).getFileSystem(conf()).listStatus(realDir(dir))) {
      names.add(file.getPath().getName());
    }
    return names;
  }

  /** Temporary files, and files of checkpoints that no commit record names. */
  private List<String> leftovers(String dir) throws IOException {
    TreeSet<Long> committed = steps(dir, POINTER);
    List<String> leftovers = new ArrayList<>();
    for (String name : names(dir)) {
      Matcher data = DATA.matcher(name);
      if (name.endsWith(".tmp")
          || (data.matches() && !committed.contains(Long.parseLong(data.group(1))))) {
        leftovers.add(name);
      }
    }
    return leftovers;
  }

  private TreeSet<Long> steps(String dir, Pattern pattern) throws IOException {
    TreeSet<Long> steps = new TreeSet<>();
    for (String name : names(dir)) {
      Matcher m = pattern.matcher(name);
      if (m.matches()) {
        steps.add(Long.parseLong(m.group(1)));
      }
    }
    return steps;
  }

  private static OneVariable session(float value) {
    return new OneVariable(value);
  }

  /** A local session with one float variable "w". */
  private static final class OneVariable implements AutoCloseable {
    final Graph graph = new Graph();
    final Session session;
    private final Variable<TFloat32> w;

    OneVariable(float value) {
      Ops tf = Ops.create(graph);
      w = tf.withName("w").variable(tf.constant(0f));
      Placeholder<TFloat32> input = tf.placeholder(TFloat32.class);
      Assign<TFloat32> assign = tf.assign(w, input);
      session = new Session(graph);
      session.initialize();
      try (TFloat32 t = TFloat32.scalarOf(value);
          Result unused = session.runner().feed(input, t).addTarget(assign).run()) {
        // assigned
      }
    }

    float value() {
      try (Result result = session.runner().fetch(w).run()) {
        return ((TFloat32) result.get(0)).getFloat();
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }
}
