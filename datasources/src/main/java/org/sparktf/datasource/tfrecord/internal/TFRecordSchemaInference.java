package org.sparktf.datasource.tfrecord.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.TFRecordOptions;
import org.sparktf.datasource.tfrecord.TFRecordOptions.Mode;
import org.sparktf.datasource.tfrecord.TFRecordType;
import org.sparktf.tfrecord.io.TFRecordCompression;
import org.sparktf.tfrecord.io.TFRecordCorruptException;
import org.sparktf.tfrecord.io.TFRecordFrameReader;

/**
 * Infers a schema from every file of a read, in parallel: one Spark task reads a bounded sample of
 * each file's records (at most {@code inferMaxRecordsPerFile}, each kept with probability {@code
 * samplingRatio}, seeded by the file name so the result is deterministic), and the per-file results
 * are merged on the driver.
 */
public final class TFRecordSchemaInference {
  private TFRecordSchemaInference() {}

  /** The inferred schema, or empty when there is no record to infer it from. */
  public static Optional<StructType> infer(
      SparkSession spark, List<FileStatus> files, TFRecordOptions options) {
    if (options.recordType() == TFRecordType.BYTE_ARRAY) {
      return Optional.of(TFRecordSchemas.byteArraySchema());
    }
    if (files.isEmpty()) {
      return Optional.empty();
    }
    List<String> paths = new ArrayList<>();
    for (FileStatus f : files) {
      paths.add(f.getPath().toString());
    }
    SerializableHadoopConf conf = new SerializableHadoopConf(spark.sessionState().newHadoopConf());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = Math.max(1, Math.min(paths.size(), jsc.defaultParallelism()));
    TFRecordSchemaInferrer merged =
        jsc.parallelize(paths, slices)
            .mapPartitions(it -> inferPartition(it, conf, options))
            .reduce(TFRecordSchemaInferrer::merge);
    StructType schema = merged.toSchema();
    return schema.isEmpty() ? Optional.empty() : Optional.of(schema);
  }

  private static Iterator<TFRecordSchemaInferrer> inferPartition(
      Iterator<String> paths, SerializableHadoopConf conf, TFRecordOptions options) {
    TFRecordSchemaInferrer inferrer = new TFRecordSchemaInferrer(options.recordType());
    while (paths.hasNext()) {
      String file = paths.next();
      try {
        sampleFile(inferrer, new Path(file), conf, options);
      } catch (IOException | RuntimeException e) {
        throw TFRecordErrors.cannotInferSchema(file, e);
      }
    }
    return List.of(inferrer).iterator();
  }

  private static void sampleFile(
      TFRecordSchemaInferrer inferrer,
      Path path,
      SerializableHadoopConf conf,
      TFRecordOptions options)
      throws IOException {
    SplittableRandom random = new SplittableRandom(path.getName().hashCode());
    TFRecordCompression compression = options.readCompression(path.getName());
    int sampled = 0;
    try (TFRecordFrameReader frames =
        TFRecordFrameReader.open(
            conf.get(), path, 0, Long.MAX_VALUE, compression, options.verifyCrc())) {
      while (sampled < options.inferMaxRecordsPerFile() && nextIntact(frames, options)) {
        if (options.samplingRatio() >= 1.0 || random.nextDouble() < options.samplingRatio()) {
          try {
            inferrer.add(frames.data(), frames.dataOffset(), frames.length(), path.toString());
          } catch (TFRecordDecodeException e) {
            throw TFRecordErrors.undecodableWhileInferring(frames.recordOffset(), e);
          }
          sampled++;
        }
      }
    }
  }

  /** Next record, skipping damaged ones unless the mode is FAILFAST. */
  private static boolean nextIntact(TFRecordFrameReader frames, TFRecordOptions options)
      throws IOException {
    while (true) {
      try {
        return frames.next();
      } catch (TFRecordCorruptException e) {
        if (options.mode() == Mode.FAILFAST) {
          throw e;
        }
      }
    }
  }
}
