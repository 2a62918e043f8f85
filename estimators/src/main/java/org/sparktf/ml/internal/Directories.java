package org.sparktf.ml.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Checks on the directories a fit writes to, before it writes anything. */
public final class Directories {
  private Directories() {}

  /**
   * Refuses {@code dir} (a Hadoop FileSystem URI, the value of Param {@code param}) when it exists,
   * with "Invalid param: dir already exists; " + {@code fix}.
   */
  public static void requireAbsent(String dir, Configuration conf, String param, String fix) {
    Path path = new Path(dir);
    try {
      if (path.getFileSystem(conf).exists(path)) {
        throw new IllegalArgumentException(
            "Invalid " + param + ": " + dir + " already exists; " + fix);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot check " + param + " " + dir + ": " + e.getMessage(), e);
    }
  }
}
