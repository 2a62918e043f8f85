package org.sparktf.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.sparktf.core.internal.HadoopFiles;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;

/**
 * Exports SavedModels to any Hadoop FileSystem. Training graphs carry parameter-server placements
 * that a serving machine does not have, so export a separate serving graph built without devices,
 * with its variables restored from the training checkpoint.
 */
public final class SavedModels {
  private SavedModels() {}

  /**
   * Exports {@code session}'s graph and variables as a SavedModel at {@code exportDir} (which must
   * not exist) with the tag "serve" and the given signatures; the directory appears atomically.
   */
  public static void export(
      Session session,
      Configuration conf,
      String exportDir,
      java.nio.file.Path localDir,
      Signature... signatures) {
    export(session, conf, exportDir, localDir, List.of(SavedModelBundle.DEFAULT_TAG), signatures);
  }

  /**
   * Exports {@code session}'s graph and variables as a SavedModel at {@code exportDir} (which must
   * not exist), its meta graph tagged with {@code tags} (a loader must ask for exactly this set),
   * with the given signatures; the directory appears atomically.
   */
  public static void export(
      Session session,
      Configuration conf,
      String exportDir,
      java.nio.file.Path localDir,
      List<String> tags,
      Signature... signatures) {
    if (tags.isEmpty() || tags.stream().anyMatch(tag -> tag == null || tag.isBlank())) {
      throw new IllegalArgumentException(
          "Invalid SavedModel tags: " + tags + "; give at least one, none of them blank");
    }
    try {
      java.nio.file.Path staging = Files.createTempDirectory(localDir, "export-");
      try {
        java.nio.file.Path model = staging.resolve("model");
        SavedModelBundle.exporter(model.toString())
            .withTags(tags.toArray(new String[0]))
            .withSession(session)
            .withSignatures(signatures)
            .export();
        HadoopFiles.uploadTree(model, new Path(exportDir), conf);
      } finally {
        try (var paths = Files.walk(staging)) {
          for (java.nio.file.Path path :
              (Iterable<java.nio.file.Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
            Files.deleteIfExists(path);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot export a SavedModel to " + exportDir + ": " + e.getMessage(), e);
    }
  }
}
