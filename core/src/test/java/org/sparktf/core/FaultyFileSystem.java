package org.sparktf.core;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A Hadoop FileSystem for tests, scheme {@value #SCHEME}: the real file system named by {@value
 * #INNER} (file:/// or an HDFS URI), where {@code faulty://any/p} is the inner one's {@code /p},
 * with one of its changes (create, rename, delete) made to fail: thrown as an IOException, or as a
 * crash (an Error after which every call fails, as no process writes after it died) before or after
 * the change takes effect. Register it with {@code fs.faulty.impl}; FileSystem caches one instance
 * per authority, which the test arms through {@code new Path("faulty://x/").getFileSystem(conf)}.
 */
public final class FaultyFileSystem extends FilterFileSystem {
  static final String SCHEME = "faulty";
  static final String INNER = "fs.faulty.inner";

  /** How the chosen change fails. */
  enum Fault {
    /** An IOException instead of the change: the save sees an error and gives up. */
    THROW_BEFORE,
    /** The process dies just before the change. */
    CRASH_BEFORE,
    /** The process dies just after the change. */
    CRASH_AFTER
  }

  /** The death of the process that called the file system: nothing after it reaches the store. */
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash(String change) {
      super("Simulated crash at " + change);
    }
  }

  private URI uri;
  private final List<String> changes = new ArrayList<>();
  private int failAt = -1;
  private Fault fault;
  private boolean crashed;

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    uri = URI.create(SCHEME + "://" + name.getAuthority() + "/");
    fs = FileSystem.newInstance(URI.create(conf.get(INNER, "file:///")), conf);
    super.initialize(name, conf);
  }

  /** Fails change {@code index} (from 0) from now on with {@code fault}, and forgets the crash. */
  synchronized void failAt(int index, Fault fault) {
    changes.clear();
    crashed = false;
    this.failAt = index;
    this.fault = fault;
  }

  /** Counts changes from now on and fails none. */
  synchronized void healthy() {
    failAt(-1, null);
  }

  /** The changes since {@link #failAt} or {@link #healthy}, as "create /p", "rename /a /b". */
  synchronized List<String> changes() {
    return List.copyOf(changes);
  }

  private interface Change<T> {
    T run() throws IOException;
  }

  private synchronized <T> T change(String what, Change<T> change) throws IOException {
    alive();
    int index = changes.size();
    changes.add(what);
    if (index != failAt) {
      return change.run();
    }
    switch (fault) {
      case THROW_BEFORE:
        throw new IOException("Injected failure of " + what);
      case CRASH_BEFORE:
        crashed = true;
        throw new Crash(what);
      default:
        T done = change.run();
        if (done instanceof java.io.Closeable stream) {
          stream.close(); // the file exists, empty, as a crash right after its creation leaves it
        }
        crashed = true;
        throw new Crash(what);
    }
  }

  private synchronized void alive() {
    if (crashed) {
      throw new Crash("a call after the crash");
    }
  }

  private Path in(Path path) {
    return new Path(fs.getUri().getScheme(), fs.getUri().getAuthority(), path.toUri().getPath());
  }

  private Path out(Path path) {
    return new Path(SCHEME, uri.getAuthority(), path.toUri().getPath());
  }

  private FileStatus out(FileStatus status) {
    status.setPath(out(status.getPath()));
    return status;
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public Path makeQualified(Path path) {
    return out(fs.makeQualified(in(path)));
  }

  @Override
  protected void checkPath(Path path) {
    String scheme = path.toUri().getScheme();
    if (scheme != null && !scheme.equals(SCHEME)) {
      throw new IllegalArgumentException("Wrong FS: " + path + ", expected: " + uri);
    }
  }

  @Override
  public Path getWorkingDirectory() {
    return out(fs.getWorkingDirectory());
  }

  @Override
  public void setWorkingDirectory(Path dir) {
    fs.setWorkingDirectory(in(dir));
  }

  @Override
  public long getDefaultBlockSize(Path f) {
    return fs.getDefaultBlockSize(in(f));
  }

  @Override
  public short getDefaultReplication(Path f) {
    return fs.getDefaultReplication(in(f));
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    alive();
    return fs.open(in(f), bufferSize);
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    alive();
    return out(fs.getFileStatus(in(f)));
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    alive();
    FileStatus[] statuses = fs.listStatus(in(f));
    for (FileStatus status : statuses) {
      out(status);
    }
    return statuses;
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    alive();
    return fs.mkdirs(in(f), permission);
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    return change(
        "create " + f.toUri().getPath(),
        () ->
            fs.create(in(f), permission, overwrite, bufferSize, replication, blockSize, progress));
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    return change(
        "rename " + src.toUri().getPath() + " " + dst.toUri().getPath(),
        () -> fs.rename(in(src), in(dst)));
  }

  @Override
  public boolean delete(Path f, boolean recursive) throws IOException {
    return change("delete " + f.toUri().getPath(), () -> fs.delete(in(f), recursive));
  }
}
