package org.sparktf.examples.criteo;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * The ETL job, the Spark version of the reference architecture's Pig job: parses raw Criteo day
 * files (tab-separated, usually gzip-compressed) and writes them as gzip-compressed TFRecord {@code
 * tf.train.Example}s, shuffled at random into {@code --train-chunks} training files and {@code
 * --validation-chunks} validation files under {@code OUTPUT/training} and {@code
 * OUTPUT/validation}. Validation rows are either a random {@code --validation-fraction} of the
 * input or, with {@code --validation-input}, other files (the reference trains on days 0-22 and
 * validates on day 23).
 *
 * <p>Malformed lines (not 40 fields, a label other than 0/1, a non-integer I field): with {@code
 * --malformed drop} (the default) they are skipped, counted and the first few printed; with {@code
 * --malformed fail} the job fails on the first one with its file and content.
 *
 * <p>Usage: {@code CriteoEtl --input GLOB --output DIR [--validation-input GLOB]
 * [--validation-fraction 0.1] [--train-chunks 100] [--validation-chunks 10] [--seed 1] [--malformed
 * drop|fail]}
 */
public final class CriteoEtl {
  static final String USAGE =
      "CriteoEtl --input GLOB --output DIR [--validation-input GLOB] [--validation-fraction 0.1]"
          + " [--train-chunks 100] [--validation-chunks 10] [--seed 1] [--malformed drop|fail]";
  private static final int SAMPLES = 5;
  // Sort keys: the chunk above this bit, a random number below it.
  private static final int CHUNK_SHIFT = 48;
  private static final int MAX_CHUNKS = 1 << 15;

  private CriteoEtl() {}

  /** What one run wrote. */
  record Result(String training, String validation, long malformed, List<String> samples) {}

  public static void main(String[] args) {
    boolean ownSession = !JobArgs.hasSession();
    SparkSession spark = JobArgs.session("SparkTF Criteo ETL");
    try {
      run(spark, args);
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  static Result run(SparkSession spark, String... args) {
    JobArgs options =
        new JobArgs(
            USAGE,
            Set.of(
                "input",
                "output",
                "validation-input",
                "validation-fraction",
                "train-chunks",
                "validation-chunks",
                "seed",
                "malformed"),
            args);
    String output = options.required("output");
    String validationInput = options.string("validation-input", null);
    double fraction =
        validationInput != null ? 0 : options.doubleValue("validation-fraction", 0.1, 0, 1);
    int trainChunks = options.intValue("train-chunks", 100, 1);
    int validationChunks = options.intValue("validation-chunks", 10, 1);
    long seed = options.longValue("seed", 1, Long.MIN_VALUE);
    String malformed = options.string("malformed", "drop");
    if (!malformed.equals("drop") && !malformed.equals("fail")) {
      throw new IllegalArgumentException(
          "Invalid --malformed: " + malformed + "; use drop or fail");
    }
    if (trainChunks + validationChunks > MAX_CHUNKS) {
      throw new IllegalArgumentException(
          "Invalid chunk counts: "
              + trainChunks
              + " + "
              + validationChunks
              + "; use at most "
              + MAX_CHUNKS
              + " in all");
    }
    long start = System.nanoTime();

    Dataset<Row> lines = text(spark, options.required("input"), false);
    if (validationInput != null) {
      lines = lines.union(text(spark, validationInput, true));
    }
    LongAccumulator dropped = spark.sparkContext().longAccumulator("criteo malformed lines");
    CollectionAccumulator<String> samples =
        spark.sparkContext().collectionAccumulator("criteo malformed samples");
    Assigner assigner =
        new Assigner(
            seed,
            fraction,
            trainChunks,
            validationChunks,
            malformed.equals("fail"),
            dropped,
            samples);
    // Sorting by the random low bits of the key shuffles each chunk.
    JavaPairRDD<Long, Row> keyed =
        lines.javaRDD().mapPartitionsWithIndex(assigner::assign, false).mapToPair(t -> t);
    Comparator<Long> order = (Comparator<Long> & Serializable) Long::compare;
    JavaRDD<Row> chunked =
        keyed
            .repartitionAndSortWithinPartitions(
                new ChunkPartitioner(trainChunks + validationChunks), order)
            .values();
    StructType schema = CriteoFormat.SCHEMA.add("split", DataTypes.StringType, false);
    // One job: each partition is one chunk and writes one file under split=training|validation.
    spark
        .createDataFrame(chunked, schema)
        .write()
        .mode(SaveMode.Overwrite)
        .format("tfrecord")
        .option("compression", "gzip")
        .partitionBy("split")
        .save(output);
    String training = rename(spark, output, "training");
    String validation = rename(spark, output, "validation");
    List<String> examples = samples.value();
    System.out.printf(
        "ETL wrote %s (%d chunks) and %s (%d chunks) as gzip TFRecords in %.1f s%n",
        training, trainChunks, validation, validationChunks, (System.nanoTime() - start) / 1e9);
    System.out.printf("Malformed lines dropped: %d%n", dropped.value());
    examples.stream().limit(SAMPLES).forEach(line -> System.out.println("  " + line));
    return new Result(training, validation, dropped.value(), examples);
  }

  private static Dataset<Row> text(SparkSession spark, String glob, boolean validation) {
    return spark
        .read()
        .text(glob)
        .select(
            functions.col("value"),
            functions.input_file_name().as("file"),
            functions.lit(validation).as("validation"));
  }

  /** Spark writes partitionBy directories as split=NAME; give them the reference's plain names. */
  private static String rename(SparkSession spark, String output, String split) {
    Path from = new Path(output, "split=" + split);
    Path to = new Path(output, split);
    try {
      FileSystem fs = from.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(from)) {
        throw new IllegalStateException(
            "Cannot write the " + split + " set: no input line went to it; check the input");
      }
      if (!fs.rename(from, to)) {
        throw new IllegalStateException("Cannot rename " + from + " to " + to);
      }
      return to.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot rename " + from + ": " + e.getMessage(), e);
    }
  }

  /** Parses lines and draws each row's chunk; deterministic per input partition. */
  private static final class Assigner implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long seed;
    private final double validationFraction;
    private final int trainChunks;
    private final int validationChunks;
    private final boolean failOnMalformed;
    private final LongAccumulator dropped;
    private final CollectionAccumulator<String> samples;

    Assigner(
        long seed,
        double validationFraction,
        int trainChunks,
        int validationChunks,
        boolean failOnMalformed,
        LongAccumulator dropped,
        CollectionAccumulator<String> samples) {
      this.seed = seed;
      this.validationFraction = validationFraction;
      this.trainChunks = trainChunks;
      this.validationChunks = validationChunks;
      this.failOnMalformed = failOnMalformed;
      this.dropped = dropped;
      this.samples = samples;
    }

    /** Lazily, so a partition never sits in memory whole. */
    Iterator<Tuple2<Long, Row>> assign(int partition, Iterator<Row> lines) {
      SplittableRandom random =
          new SplittableRandom(SyntheticCriteo.mix(seed * 1_000_003L + partition));
      return new Iterator<>() {
        private Tuple2<Long, Row> next;
        private int sampled;

        @Override
        public boolean hasNext() {
          while (next == null && lines.hasNext()) {
            next = convert(lines.next());
          }
          return next != null;
        }

        @Override
        public Tuple2<Long, Row> next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          Tuple2<Long, Row> row = next;
          next = null;
          return row;
        }

        private Tuple2<Long, Row> convert(Row line) {
          Object[] values;
          try {
            values = CriteoFormat.parse(line.getString(0));
          } catch (IllegalArgumentException e) {
            if (failOnMalformed) {
              throw new IllegalArgumentException(
                  "Cannot convert " + line.getString(1) + ": " + e.getMessage(), e);
            }
            dropped.add(1);
            if (sampled++ < SAMPLES) {
              samples.add(line.getString(1) + ": " + e.getMessage());
            }
            return null;
          }
          boolean validation =
              line.getBoolean(2)
                  || (validationFraction > 0 && random.nextDouble() < validationFraction);
          int chunk =
              validation
                  ? trainChunks + random.nextInt(validationChunks)
                  : random.nextInt(trainChunks);
          Object[] withSplit = Arrays.copyOf(values, values.length + 1);
          withSplit[values.length] = validation ? "validation" : "training";
          long key = ((long) chunk << CHUNK_SHIFT) | (random.nextLong() >>> (64 - CHUNK_SHIFT));
          return new Tuple2<>(key, RowFactory.create(withSplit));
        }
      };
    }
  }

  /** Sends each key to the chunk in its top bits. */
  private static final class ChunkPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int chunks;

    ChunkPartitioner(int chunks) {
      this.chunks = chunks;
    }

    @Override
    public int numPartitions() {
      return chunks;
    }

    @Override
    public int getPartition(Object key) {
      return (int) ((Long) key >>> CHUNK_SHIFT);
    }
  }
}
