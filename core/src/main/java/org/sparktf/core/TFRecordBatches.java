package org.sparktf.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordFrameReader;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.ReaderReadUpTo;
import org.tensorflow.op.io.TfRecordReader;
import org.tensorflow.types.TString;

/**
 * Serialized TFRecords in batches, for workers that read their own data (InputMode.TENSORFLOW):
 * feed the batches to {@code tf.io.parseExample} in the training graph. Local files are read by
 * TensorFlow's native reader; files on other Hadoop file systems (hdfs://, ...) through Hadoop's
 * client in the JVM, since TensorFlow's own HDFS support cannot be relied on.
 */
public abstract class TFRecordBatches implements AutoCloseable {
  /**
   * This worker's shard of the data files under {@code dirOrFile} (sorted by name; hidden files and
   * Spark's markers skipped): file i goes to worker i mod numWorkers.
   */
  public static List<String> shard(NodeContext ctx, String dirOrFile) {
    return shard(ctx.hadoopConf(), dirOrFile, ctx.taskIndex(), ctx.numWorkers());
  }

  static List<String> shard(Configuration conf, String dirOrFile, int worker, int workers) {
    Path path = new Path(dirOrFile);
    try {
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(path);
      List<FileStatus> files =
          status.isDirectory()
              ? new ArrayList<>(Arrays.asList(fs.listStatus(path)))
              : List.of(status);
      List<String> names = new ArrayList<>();
      files.stream()
          .filter(FileStatus::isFile)
          .filter(
              f -> !f.getPath().getName().startsWith(".") && !f.getPath().getName().startsWith("_"))
          .sorted(Comparator.comparing(f -> f.getPath().getName()))
          .forEach(f -> names.add(f.getPath().toString()));
      if (names.isEmpty()) {
        throw new IllegalArgumentException(
            "Cannot shard " + dirOrFile + ": it holds no data files");
      }
      if (names.size() < workers) {
        // A worker without files would end its input at once, and in synchronous training the
        // others would wait for it until their timeout: refuse it here, where the cause is clear.
        throw new IllegalArgumentException(
            "Cannot shard "
                + dirOrFile
                + ": it holds "
                + names.size()
                + " data file(s) for "
                + workers
                + " workers, so worker "
                + worker
                + " would read nothing; write at least one file per worker (e.g. repartition("
                + workers
                + ") before writing)");
      }
      List<String> mine = new ArrayList<>();
      for (int i = worker; i < names.size(); i += workers) {
        mine.add(names.get(i));
      }
      return mine;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dirOrFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens the files, with each file's compression taken from its name (.gz, .zlib). The caller
   * closes the reader.
   */
  public static TFRecordBatches open(NodeContext ctx, List<String> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot open TFRecords: the list of files is empty; give each worker at least one file");
    }
    boolean local = files.stream().allMatch(TFRecordBatches::isLocal);
    return local ? new Native(files) : new Jvm(ctx.hadoopConf(), files);
  }

  /** Reads through Hadoop's FileSystem in the JVM, whatever the scheme. */
  static TFRecordBatches jvm(Configuration conf, List<String> files) {
    return new Jvm(conf, files);
  }

  /**
   * Up to {@code maxRecords} serialized records as a 1-D string tensor; fewer only at the end, and
   * none once every file is read. The caller closes the tensor.
   */
  public abstract TString next(int maxRecords);

  @Override
  public abstract void close();

  static boolean isLocal(String file) {
    String scheme = URI.create(file.replace(" ", "%20")).getScheme();
    return scheme == null || scheme.equals("file");
  }

  static TString strings(List<byte[]> records) {
    return TString.tensorOfBytes(
        NdArrays.wrap(
            Shape.of(records.size()),
            org.tensorflow.ndarray.buffer.DataBuffers.ofObjects(records.toArray(new byte[0][]))));
  }

  /** TensorFlow's queue-based TFRecord reader on local files, in a graph of its own. */
  private static final class Native extends TFRecordBatches {
    private final Graph graph = new Graph();
    private final Session session;
    private final ReaderReadUpTo read;
    private final org.tensorflow.op.core.Placeholder<org.tensorflow.types.TInt64> count;
    private boolean done;

    Native(List<String> files) {
      TFRecordCompression compression = TFRecordCompression.fromFileName(files.get(0));
      for (String file : files) {
        if (TFRecordCompression.fromFileName(file) != compression) {
          graph.close();
          throw new IllegalArgumentException(
              "Cannot read " + files + ": they mix compressions; read each compression separately");
        }
      }
      Ops tf = Ops.create(graph);
      FifoQueue queue = tf.io.fifoQueue(List.of(TString.class), FifoQueue.shapes(Shape.scalar()));
      List<String> paths = new ArrayList<>();
      for (String file : files) {
        paths.add(file.startsWith("file:") ? new Path(file).toUri().getPath() : file);
      }
      var enqueue =
          tf.io.queueEnqueueMany(
              queue, List.of(tf.constant(NdArrays.vectorOfObjects(paths.toArray(new String[0])))));
      var closeQueue = tf.io.queueClose(queue);
      TfRecordReader reader =
          tf.io.tfRecordReader(
              TfRecordReader.compressionType(
                  compression == TFRecordCompression.NONE ? "" : compression.name()));
      count = tf.placeholder(org.tensorflow.types.TInt64.class);
      read = tf.io.readerReadUpTo(reader, queue, count);
      session = new Session(graph);
      // Enqueue and close in separate runs: one run may close the queue first.
      session.run(enqueue);
      session.run(closeQueue);
    }

    @Override
    public TString next(int maxRecords) {
      TString batch = readUpTo(maxRecords);
      long got = batch.shape().size(0);
      if (got == 0 || got == maxRecords) {
        return batch;
      }
      // ReaderReadUpTo stops at the end of each file: top the batch up from the next files, so
      // only the last batch of all is short (a short batch at every file's end is a noisy step).
      List<byte[]> records = new ArrayList<>();
      try (TString first = batch) {
        first.asBytes().scalars().forEach(b -> records.add(b.getObject()));
      }
      while (records.size() < maxRecords) {
        try (TString more = readUpTo(maxRecords - records.size())) {
          if (more.shape().size(0) == 0) {
            break;
          }
          more.asBytes().scalars().forEach(b -> records.add(b.getObject()));
        }
      }
      return strings(records);
    }

    private TString readUpTo(int maxRecords) {
      if (!done) {
        try (org.tensorflow.types.TInt64 n = org.tensorflow.types.TInt64.scalarOf(maxRecords)) {
          return (TString) session.runner().feed(count, n).fetch(read.values()).run().get(0);
        } catch (RuntimeException e) {
          if (!String.valueOf(e.getMessage()).contains("is closed and has insufficient elements")) {
            throw e;
          }
          done = true;
        }
      }
      return strings(List.of());
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  /** Hadoop's FileSystem client and SparkTF's TFRecord framing. */
  private static final class Jvm extends TFRecordBatches {
    private final Configuration conf;
    private final List<String> files;
    private int nextFile;
    private TFRecordFrameReader current;

    Jvm(Configuration conf, List<String> files) {
      this.conf = conf;
      this.files = List.copyOf(files);
    }

    @Override
    public TString next(int maxRecords) {
      List<byte[]> records = new ArrayList<>();
      try {
        while (records.size() < maxRecords) {
          if (current == null) {
            if (nextFile == files.size()) {
              break;
            }
            String file = files.get(nextFile++);
            current =
                TFRecordFrameReader.open(
                    conf,
                    new Path(file),
                    0,
                    Long.MAX_VALUE,
                    TFRecordCompression.fromFileName(file),
                    true);
          }
          if (current.next()) {
            records.add(
                Arrays.copyOfRange(
                    current.data(), current.dataOffset(), current.dataOffset() + current.length()));
          } else {
            current.close();
            current = null;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read TFRecords: " + e.getMessage(), e);
      }
      return strings(records);
    }

    @Override
    public void close() {
      if (current != null) {
        try {
          current.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
