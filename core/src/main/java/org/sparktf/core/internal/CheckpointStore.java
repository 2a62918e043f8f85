package org.sparktf.core.internal;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.TFClusterException;

/**
 * The checkpoint files of a model directory, {@code <modelDir>/checkpoints}, and the only ways they
 * change, so that a crash at any point leaves a complete checkpoint to restore:
 *
 * <ul>
 *   <li>{@code ckpt-<step>-g<generation>.index} and {@code .data-*}: the variables TensorFlow
 *       saved. Written once; saving the same generation and step again keeps them.
 *   <li>{@code latest-<step>-g<generation>}: the commit record, written after every data file is in
 *       place, listing their names and lengths. The newest complete one, by generation and then
 *       step, names the latest checkpoint: there is no pointer file to replace, so no window in
 *       which it is missing or half-written, on any Hadoop FileSystem whose rename to a new name is
 *       atomic (HDFS and the local FS are). Replacing one {@code latest} file instead
 *       (FileContext's rename with OVERWRITE) would need a FileContext binding per scheme, and
 *       would let a late write of an older generation replace a newer generation's pointer.
 *   <li>{@code generation-<n>}: created by the driver when cluster generation {@code n} starts. A
 *       save by an older generation is refused from then on.
 *   <li>{@code .<name>.tmp}: an upload in progress, or left by a crash; removed by a later save.
 * </ul>
 */
public final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final String DIR = "checkpoints";
  private static final Pattern DATA =
      Pattern.compile("ckpt-(\\d+)-g(\\d+)\\.(index|data-\\d+-of-\\d+)");
  private static final Pattern POINTER = Pattern.compile("latest-(\\d+)-g(\\d+)");
  private static final Pattern MARKER = Pattern.compile("generation-(\\d+)");
  private static final Pattern TEMP = Pattern.compile("\\.(.+)\\.tmp");

  /** A checkpoint's identity: newer generations win over higher steps. */
  public record Id(long generation, long step) implements Comparable<Id> {
    /** The prefix of its data files, as TensorFlow saves and restores it. */
    public String prefix() {
      return "ckpt-" + step + "-g" + generation;
    }

    String pointer() {
      return "latest-" + step + "-g" + generation;
    }

    @Override
    public int compareTo(Id other) {
      int byGeneration = Long.compare(generation, other.generation);
      return byGeneration != 0 ? byGeneration : Long.compare(step, other.step);
    }

    @Override
    public String toString() {
      return "step " + step + " of generation " + generation;
    }
  }

  private final Configuration conf;
  private final Path dir;
  private final FileSystem fs;

  public CheckpointStore(Configuration conf, String modelDir) throws IOException {
    this.conf = conf;
    this.dir = new Path(modelDir, DIR);
    this.fs = dir.getFileSystem(conf);
  }

  /** {@code <modelDir>/checkpoints}, for messages. */
  public Path dir() {
    return dir;
  }

  /** The newest generation that started or saved here; 0 when none did. */
  public long newestGeneration() throws IOException {
    return list().newestGeneration();
  }

  /**
   * Records the start of a generation newer than every one here and at least {@code atLeast};
   * returns its number.
   */
  public long startGeneration(long atLeast) throws IOException {
    long number = Math.max(atLeast, newestGeneration() + 1);
    // Two drivers starting on one model directory at once: the second create fails, try the next.
    for (int attempt = 0; ; attempt++) {
      try {
        fs.create(new Path(dir, "generation-" + number), false).close();
        return number;
      } catch (FileAlreadyExistsException e) {
        if (attempt == 2) {
          throw e;
        }
        number++;
      }
    }
  }

  /** The newest complete checkpoint. */
  public Optional<Id> latest() throws IOException {
    Listing listing = list();
    for (Id id : listing.pointers.descendingKeySet()) {
      if (listing.isComplete(id)) {
        return Optional.of(id);
      }
      LOG.warn("Checkpoint {} in {} is incomplete; trying an older one", id, dir);
    }
    return Optional.empty();
  }

  /** The newest generation's complete checkpoint of {@code step}. */
  public Optional<Id> find(long step) throws IOException {
    return list().complete().stream().filter(id -> id.step() == step).findFirst();
  }

  /**
   * Whether checkpoint {@code id} still has to be saved: false when it is here and complete.
   *
   * @throws TFClusterException when a newer generation has started or saved here
   */
  public boolean needsSave(Id id) throws IOException {
    Listing listing = list();
    listing.checkNotSuperseded(id, dir);
    return !listing.isComplete(id);
  }

  /**
   * Copies checkpoint {@code id}'s data files into {@code localDir}.
   *
   * @return the local prefix to restore
   * @throws FileNotFoundException when a file went away meanwhile (pruned by a newer save)
   */
  public java.nio.file.Path download(Id id, java.nio.file.Path localDir) throws IOException {
    for (String name : readPointer(id).keySet()) {
      HadoopFiles.download(new Path(dir, name), localDir.resolve(name), conf);
    }
    return localDir.resolve(id.prefix());
  }

  /**
   * Makes the TensorFlow files {@code files} (named {@code <id.prefix()>.*}) checkpoint {@code id}:
   * uploads them, then writes the commit record, then removes what crashed saves left behind.
   *
   * @throws TFClusterException when a newer generation has started or saved here
   */
  public void save(Id id, List<java.nio.file.Path> files) throws IOException {
    Listing before = list();
    before.checkNotSuperseded(id, dir);
    if (before.isComplete(id)) {
      return; // saved before, by this generation: the same variables
    }
    StringBuilder record = new StringBuilder();
    for (java.nio.file.Path file : files) {
      String name = file.getFileName().toString();
      Path target = new Path(dir, name);
      if (before.files.containsKey(name)) {
        // Left by a crashed save of the same id: no commit record refers to it.
        fs.delete(target, false);
      }
      HadoopFiles.upload(file, target, conf);
      record.append(name).append(' ').append(Files.size(file)).append('\n');
    }
    Listing now = list();
    // A node of an older generation woken between this check and the rename below can still
    // commit (one listing and one rename, milliseconds), but its checkpoint never becomes the
    // latest: latest() prefers the newer generation.
    now.checkNotSuperseded(id, dir);
    HadoopFiles.writeString(new Path(dir, id.pointer()), record.toString(), conf);
    try {
      cleanUp(now, id);
    } catch (IOException e) {
      LOG.warn(
          "Cannot clean up {} after saving {}: {}; a later save tries again",
          dir,
          id,
          e.toString());
    }
  }

  /**
   * Keeps the newest {@code keep} complete checkpoints at or below the latest and deletes older
   * ones: commit record first, so a crash midway leaves files no record names, which a later save
   * removes. Files without a record (a save in progress, a crashed one) are left alone. A failure
   * is logged, not thrown: the checkpoints are safe, and the next save prunes again.
   */
  public void prune(int keep) {
    try {
      pruneOrThrow(keep);
    } catch (IOException e) {
      LOG.warn(
          "Cannot prune old checkpoints in {}: {}; a later save tries again", dir, e.toString());
    }
  }

  private void pruneOrThrow(int keep) throws IOException {
    Listing listing = list();
    List<Id> complete = listing.complete();
    if (complete.isEmpty()) {
      return;
    }
    Id latest = complete.get(0);
    List<Id> kept = complete.subList(0, Math.min(keep, complete.size()));
    for (Id id : listing.pointers.headMap(latest, false).keySet()) {
      if (!kept.contains(id)) {
        fs.delete(new Path(dir, id.pointer()), false);
        for (FileStatus file : listing.data.getOrDefault(id, List.of())) {
          fs.delete(file.getPath(), false);
        }
      }
    }
    for (long marker : listing.markers.headSet(listing.newestGeneration(), false)) {
      fs.delete(new Path(dir, "generation-" + marker), false);
    }
  }

  /**
   * Deletes temporary files and uncommitted data files of checkpoints older than {@code saved}:
   * left by crashed saves, or by an older generation's node (whose commit record, if it still
   * writes one, never wins over {@code saved}).
   */
  private void cleanUp(Listing listing, Id saved) throws IOException {
    for (Map.Entry<Id, List<FileStatus>> entry : listing.data.entrySet()) {
      if (entry.getKey().compareTo(saved) < 0 && !listing.pointers.containsKey(entry.getKey())) {
        for (FileStatus file : entry.getValue()) {
          fs.delete(file.getPath(), false);
        }
      }
    }
    for (FileStatus temp : listing.temps) {
      Matcher m = TEMP.matcher(temp.getPath().getName());
      Id id = m.matches() ? idOf(m.group(1)) : null;
      if (id == null || id.compareTo(saved) < 0) {
        fs.delete(temp.getPath(), false);
      }
    }
  }

  /** The data file names and lengths a commit record lists. */
  private Map<String, Long> readPointer(Id id) throws IOException {
    Map<String, Long> files = new HashMap<>();
    String text = HadoopFiles.readString(new Path(dir, id.pointer()), conf);
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        int space = line.lastIndexOf(' ');
        files.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
      }
    }
    return files;
  }

  private Listing list() throws IOException {
    Listing listing = new Listing();
    for (FileStatus file : HadoopFiles.list(dir, conf)) {
      String name = file.getPath().getName();
      listing.files.put(name, file);
      Matcher data = DATA.matcher(name);
      Matcher pointer = POINTER.matcher(name);
      Matcher marker = MARKER.matcher(name);
      if (data.matches()) {
        Id id = new Id(Long.parseLong(data.group(2)), Long.parseLong(data.group(1)));
        listing.data.computeIfAbsent(id, k -> new ArrayList<>()).add(file);
      } else if (pointer.matches()) {
        listing.pointers.put(
            new Id(Long.parseLong(pointer.group(2)), Long.parseLong(pointer.group(1))), file);
      } else if (marker.matches()) {
        listing.markers.add(Long.parseLong(marker.group(1)));
      } else if (TEMP.matcher(name).matches()) {
        listing.temps.add(file);
      }
    }
    return listing;
  }

  /** The checkpoint a data file or commit record name belongs to; null for other names. */
  private static Id idOf(String name) {
    Matcher data = DATA.matcher(name);
    if (data.matches()) {
      return new Id(Long.parseLong(data.group(2)), Long.parseLong(data.group(1)));
    }
    Matcher pointer = POINTER.matcher(name);
    return pointer.matches()
        ? new Id(Long.parseLong(pointer.group(2)), Long.parseLong(pointer.group(1)))
        : null;
  }

  /** One listing of the directory, by kind. */
  private final class Listing {
    final Map<String, FileStatus> files = new HashMap<>();
    final TreeMap<Id, List<FileStatus>> data = new TreeMap<>();
    final TreeMap<Id, FileStatus> pointers = new TreeMap<>();
    final TreeSet<Long> markers = new TreeSet<>();
    final List<FileStatus> temps = new ArrayList<>();

    long newestGeneration() {
      long newest = markers.isEmpty() ? 0 : markers.last();
      return pointers.isEmpty() ? newest : Math.max(newest, pointers.lastKey().generation());
    }

    void checkNotSuperseded(Id id, Path dir) {
      long newest = newestGeneration();
      if (newest > id.generation()) {
        throw new TFClusterException(
            "Cannot save checkpoint "
                + id.step()
                + " to "
                + dir
                + ": generation "
                + id.generation()
                + " has been superseded by "
                + newest
                + "; this node belongs to a cluster that was restarted or replaced, and only the"
                + " newest generation may write checkpoints");
      }
    }

    /** The complete checkpoints, newest first. */
    List<Id> complete() throws IOException {
      List<Id> complete = new ArrayList<>();
      for (Id id : pointers.descendingKeySet()) {
        if (isComplete(id)) {
          complete.add(id);
        }
      }
      return complete;
    }

    /** Whether {@code id}'s commit record is here and every file it lists has its length. */
    boolean isComplete(Id id) throws IOException {
      if (!pointers.containsKey(id)) {
        return false;
      }
      Map<String, Long> listed;
      try {
        listed = readPointer(id);
      } catch (FileNotFoundException e) {
        return false; // pruned since the listing
      }
      for (Map.Entry<String, Long> file : listed.entrySet()) {
        FileStatus status = files.get(file.getKey());
        if (status == null || status.getLen() != file.getValue()) {
          return false;
        }
      }
      return !listed.isEmpty();
    }
  }
}
