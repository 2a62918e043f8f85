package org.sparktf.examples.criteo;

import java.util.Iterator;
import java.util.Set;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes synthetic click logs in the real Criteo format (gzip-compressed tab-separated lines, see
 * {@link CriteoFormat}), labelled by a planted logistic model ({@link PlantedModel}) whose seed
 * {@link CriteoEvaluation} takes to compute the best achievable log loss.
 *
 * <p>Usage: {@code CriteoGenerator --output DIR [--rows 1000000] [--files 8] [--seed 42] [--planted
 * realistic|simple]}: {@code realistic} (the default) labels with {@link PlantedModel#realistic}
 * (click rate about 3-4%, part of the signal in interactions the linear model does not represent);
 * {@code simple} with a click rate of about 22% and all the signal in the linear model's features.
 */
public final class CriteoGenerator {
  static final String USAGE =
      "CriteoGenerator --output DIR [--rows 1000000] [--files 8] [--seed 42]"
          + " [--planted realistic|simple]";

  private CriteoGenerator() {}

  public static void main(String[] args) {
    boolean ownSession = !JobArgs.hasSession();
    SparkSession spark = JobArgs.session("SparkTF Criteo generator");
    try {
      run(spark, args);
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** The --planted option: whether the realistic planted model labels the rows. */
  static boolean realistic(JobArgs options, String usage) {
    String planted = options.string("planted", "realistic");
    if (!planted.equals("simple") && !planted.equals("realistic")) {
      throw new IllegalArgumentException(
          "Invalid --planted: " + planted + "; use simple or realistic; usage: " + usage);
    }
    return planted.equals("realistic");
  }

  /** Generates the files; returns the number of rows written. */
  static long run(SparkSession spark, String... args) {
    JobArgs options =
        new JobArgs(USAGE, Set.of("output", "rows", "files", "seed", "planted"), args);
    String output = options.required("output");
    long rows = options.longValue("rows", 1_000_000, 1);
    int files = options.intValue("files", 8, 1);
    long seed = options.longValue("seed", 42, Long.MIN_VALUE);
    boolean realistic = realistic(options, USAGE);
    long start = System.nanoTime();
    MapPartitionsFunction<Long, String> lines =
        ids -> {
          SyntheticCriteo data = new SyntheticCriteo(seed, new PlantedModel(seed, realistic));
          return new Iterator<String>() {
            @Override
            public boolean hasNext() {
              return ids.hasNext();
            }

            @Override
            public String next() {
              return CriteoFormat.format(data.row(ids.next()));
            }
          };
        };
    spark
        .range(0, rows, 1, files)
        .as(Encoders.LONG())
        .mapPartitions(lines, Encoders.STRING())
        .write()
        .mode(SaveMode.Overwrite)
        .option("compression", "gzip")
        .text(output);
    System.out.printf(
        "Wrote %d Criteo-format rows in %d gzip files to %s in %.1f s (planted model seed %d)%n",
        rows, files, output, (System.nanoTime() - start) / 1e9, seed);
    return rows;
  }
}
