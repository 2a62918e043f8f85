package org.sparktf.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Moves files between a node's local directory and a Hadoop FileSystem (hdfs://, file://, ...).
 * TensorFlow writes locally; these copies go through the JVM's Hadoop client, never TensorFlow's
 * own file systems.
 */
public final class HadoopFiles {
  private HadoopFiles() {}

  /**
   * Copies a local file to {@code target}, which must not exist, through a temporary name ({@link
   * #tempName}) and a rename: readers see the whole file or none of it. A rename to a new name is
   * atomic on HDFS and on the local FS.
   */
  public static void upload(java.nio.file.Path local, Path target, Configuration conf)
      throws IOException {
    try (InputStream in = Files.newInputStream(local)) {
      write(in, target, conf);
    }
  }

  /** Writes {@code text} to {@code target}, which must not exist, like {@link #upload}. */
  public static void writeString(Path file, String text, Configuration conf) throws IOException {
    write(
        new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        file,
        conf);
  }

  /** The temporary name an upload to {@code target} writes first: ".<name>.tmp". */
  public static Path tempName(Path target) {
    return new Path(target.getParent(), "." + target.getName() + ".tmp");
  }

  private static void write(InputStream in, Path target, Configuration conf) throws IOException {
    FileSystem fs = target.getFileSystem(conf);
    Path temp = tempName(target);
    try (OutputStream out = fs.create(temp, true)) {
      in.transferTo(out);
    }
    if (!fs.rename(temp, target)) {
      throw new IOException(
          "Cannot rename " + temp + " to " + target + ": the target exists or its folder is gone");
    }
  }

  /** Copies a local directory tree to {@code target}, which must not exist, atomically. */
  public static void uploadTree(java.nio.file.Path localDir, Path target, Configuration conf)
      throws IOException {
    FileSystem fs = target.getFileSystem(conf);
    if (fs.exists(target)) {
      throw new IOException("Cannot write " + target + ": it already exists");
    }
    Path temp = tempName(target);
    fs.delete(temp, true);
    try (Stream<java.nio.file.Path> files = Files.walk(localDir)) {
      for (java.nio.file.Path file : (Iterable<java.nio.file.Path>) files::iterator) {
        if (Files.isRegularFile(file)) {
          Path dest = new Path(temp, localDir.relativize(file).toString().replace('\\', '/'));
          try (InputStream in = Files.newInputStream(file);
              OutputStream out = fs.create(dest, true)) {
            in.transferTo(out);
          }
        }
      }
    }
    if (!fs.rename(temp, target)) {
      throw new IOException("Cannot rename " + temp + " to " + target);
    }
  }

  /** Copies a remote file to a local path. */
  public static void download(Path source, java.nio.file.Path local, Configuration conf)
      throws IOException {
    FileSystem fs = source.getFileSystem(conf);
    Files.createDirectories(local.getParent());
    try (InputStream in = fs.open(source);
        OutputStream out = Files.newOutputStream(local)) {
      in.transferTo(out);
    }
  }

  /** The files directly under {@code dir}; empty when it does not exist. */
  public static FileStatus[] list(Path dir, Configuration conf) throws IOException {
    try {
      return dir.getFileSystem(conf).listStatus(dir);
    } catch (java.io.FileNotFoundException e) {
      return new FileStatus[0];
    }
  }

  /** The whole of a small text file. */
  public static String readString(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
