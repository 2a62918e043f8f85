package org.sparktf.examples.imagenet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The TFRecord files of one split in an ImageNet data directory, as {@code build_imagenet_data}
 * lays them out: {@code train-00000-of-01024} ... and {@code validation-00000-of-00128} ... side by
 * side, on any Hadoop file system.
 */
final class ImageNetFiles {
  private ImageNetFiles() {}

  /** Every file of {@code split} ("train", "validation") under {@code dataDir}, sorted by name. */
  static List<String> list(Configuration conf, String dataDir, String split) {
    Path dir = new Path(dataDir);
    try {
      FileSystem fs = dir.getFileSystem(conf);
      List<String> files = new ArrayList<>();
      Arrays.stream(fs.listStatus(dir))
          .filter(FileStatus::isFile)
          .map(f -> f.getPath())
          .filter(p -> p.getName().startsWith(split + "-"))
          .sorted(Comparator.comparing(Path::getName))
          .forEach(p -> files.add(p.toString()));
      if (files.isEmpty()) {
        throw new IllegalArgumentException(
            "Cannot find "
                + split
                + " data: "
                + dataDir
                + " holds no "
                + split
                + "-* files; build them with build_imagenet_data (see docs/examples/imagenet.md)");
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dataDir + ": " + e.getMessage(), e);
    }
  }

  /** Worker {@code worker}'s share of the split: file i goes to worker i mod workers. */
  static List<String> shard(
      Configuration conf, String dataDir, String split, int worker, int workers) {
    List<String> all = list(conf, dataDir, split);
    if (all.size() < workers) {
      throw new IllegalArgumentException(
          "Cannot shard "
              + split
              + " data over "
              + workers
              + " workers: "
              + dataDir
              + " holds "
              + all.size()
              + " files; use at least one file per worker");
    }
    List<String> mine = new ArrayList<>();
    for (int i = worker; i < all.size(); i += workers) {
      mine.add(all.get(i));
    }
    return mine;
  }
}
