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

  /** Copies a local file to {@code target}, through a temporary name and a rename. */
  public static void upload(java.nio.file.Path local, Path target, Configuration conf)
      throws IOException {
    FileSystem fs = target.getFileSystem(conf);
    Path temp = new Path(target.getParent(), "." + target.getName() + ".tmp");
    try (InputStream in = Files.newInputStream(local);
        OutputStream out = fs.create(temp, true)) {
      in.transferTo(out);
    }
    fs.delete(target, false);
    if (!fs.rename(temp, target)) {
      throw new IOException("Cannot rename " + temp + " to " + target);
    }
  }

  /** Copies a local directory tree to {@code target}, which must not exist, atomically. */
  public static void uploadTree(java.nio.file.Path localDir, Path target, Configuration conf)
      throws IOException {
    FileSystem fs = target.getFileSystem(conf);
    if (fs.exists(target)) {
      throw new IOException("Cannot write " + target + ": it already exists");
    }
    Path temp = new Path(target.getParent(), "." + target.getName() + ".tmp");
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
    FileSystem fs = dir.getFileSystem(conf);
    return fs.exists(dir) ? fs.listStatus(dir) : new FileStatus[0];
  }

  public static String readString(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  public static void writeString(Path file, String text, Configuration conf) throws IOException {
    java.nio.file.Path local = Files.createTempFile("sparktf-", ".txt");
    try {
      Files.writeString(local, text);
      upload(local, file, conf);
    } finally {
      Files.deleteIfExists(local);
    }
  }
}
