package org.sparktf.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every exit code of a node's process means one thing. */
class NodeExitTest {

  @Test
  void sparkTfCodesAreDistinctAndClearOfTheJvmsAndTheSignals() throws Exception {
    List<Integer> ours = new ArrayList<>();
    for (Field field : NodeExit.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
        ours.add(field.getInt(null));
      }
    }
    assertThat(ours).doesNotHaveDuplicates().contains(NodeExit.OUT_OF_MEMORY);
    ours.remove(Integer.valueOf(NodeExit.OUT_OF_MEMORY));
    assertThat(ours).allMatch(code -> code != 3 && code < 128);
    assertThat(NodeExit.describe(NodeExit.PARENT_GONE)).isEqualTo("its executor went away");
    assertThat(NodeExit.describe(NodeExit.SUPERSEDED)).contains("superseded");
    assertThat(NodeExit.describe(NodeExit.LIVENESS_LOST)).contains("liveness timeout");
    assertThat(NodeExit.describe(137)).isEqualTo("killed by signal 9 (SIGKILL)");
    assertThat(NodeExit.describe(134)).isEqualTo("killed by signal 6 (SIGABRT: a native crash)");
    assertThat(NodeExit.describe(42)).isEqualTo("exit code 42");
  }

  @Test
  void aNodeJvmOutOfMemoryExitsWithACodeThatReadsAsOutOfMemory() throws Exception {
    // The node JVM's own flags (NodeProcess) with a tiny heap, running something that fills it.
    Process jvm =
        new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+ExitOnOutOfMemoryError",
                "-Xmx16m",
                "-cp",
                System.getProperty("java.class.path"),
                FillsTheHeap.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(jvm.exitValue()).isEqualTo(NodeExit.OUT_OF_MEMORY);
    assertThat(NodeExit.describe(jvm.exitValue()))
        .startsWith("ran out of Java heap")
        .isNotEqualTo(NodeExit.describe(NodeExit.PARENT_GONE));
  }

  /** Allocates until the heap is full. */
  public static final class FillsTheHeap {
    public static void main(String[] args) {
      List<long[]> hog = new ArrayList<>();
      while (true) {
        hog.add(new long[1 << 16]);
      }
    }
  }
}
