package org.sparktf.ml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.tensorflow.SavedModelBundle;

/**
 * One loaded SavedModel per JVM and directory, shared by every task thread (TensorFlow sessions run
 * concurrently). SavedModels on non-local file systems are copied to a local directory first:
 * TensorFlow reads only local files here. The bundles are closed when the JVM (the executor) exits.
 */
public final class SavedModelCache {
  private static final Map<String, SavedModelBundle> BUNDLES = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  BUNDLES.values().forEach(SavedModelBundle::close);
                  BUNDLES.clear();
                },
                "sparktf-savedmodel-close"));
  }

  private SavedModelCache() {}

  /** The bundle of {@code exportDir} with {@code tags}, loaded on first use. Do not close it. */
  public static SavedModelBundle get(Configuration conf, String exportDir, String tags) {
    return get(() -> conf, exportDir, tags);
  }

  /** As {@link #get(Configuration, String, String)}, making the configuration only to load. */
  public static SavedModelBundle get(Supplier<Configuration> conf, String exportDir, String tags) {
    SavedModelBundle loaded = BUNDLES.get(exportDir + "#" + tags);
    if (loaded != null) {
      return loaded;
    }
    return BUNDLES.computeIfAbsent(
        exportDir + "#" + tags, key -> load(conf.get(), exportDir, tags));
  }

  private static SavedModelBundle load(Configuration conf, String exportDir, String tags) {
    Path dir = new Path(exportDir);
    try {
      FileSystem fs = dir.getFileSystem(conf);
      String local;
      if ("file".equals(fs.getScheme())) {
        local = fs.makeQualified(dir).toUri().getPath();
      } else {
        java.nio.file.Path copy = Files.createTempDirectory("sparktf-savedmodel-");
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
        String root = fs.makeQualified(dir).toUri().getPath();
        while (files.hasNext()) {
          FileStatus file = files.next();
          String relative = file.getPath().toUri().getPath().substring(root.length() + 1);
          java.nio.file.Path target = copy.resolve(relative);
          Files.createDirectories(target.getParent());
          try (InputStream in = fs.open(file.getPath());
              OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
          }
        }
        local = copy.toString();
      }
      return SavedModelBundle.loader(local).withTags(tags.split(",")).load();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot load the SavedModel at " + exportDir + ": " + e.getMessage(), e);
    }
  }
}
