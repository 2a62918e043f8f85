package org.sparktf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Deterministic (seeded) generators of the MNIST-like and Criteo-like benchmark data. */
public final class BenchData {
  /** Pixels per MNIST image (28 x 28). */
  public static final int MNIST_PIXELS = 784;

  /** Dense integer features in a Criteo record (I1..I13). */
  public static final int CRITEO_INTS = 13;

  /** Categorical features in a Criteo record (C1..C26). */
  public static final int CRITEO_CATS = 26;

  private BenchData() {}

  /** The two benchmark datasets. */
  public enum Kind {
    /** {@code label: long, image: array<float>(784)}. */
    MNIST,
    /** {@code label: long, I1..I13: long (nullable), C1..C26: string (nullable)}. */
    CRITEO;

    /** Returns the Spark schema of this dataset. */
    public StructType schema() {
      return this == MNIST ? mnistSchema() : criteoSchema();
    }

    /** Returns the row with the given id, deterministic for a given seed. */
    Row row(long id, long seed) {
      SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + id);
      return this == MNIST ? mnistRow(random) : criteoRow(random);
    }
  }

  /** Returns the MNIST-like schema. */
  public static StructType mnistSchema() {
    return new StructType()
        .add("label", DataTypes.LongType, false)
        .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false);
  }

  /** Returns the Criteo-like schema. */
  public static StructType criteoSchema() {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("label", DataTypes.LongType, false));
    for (int i = 1; i <= CRITEO_INTS; i++) {
      fields.add(DataTypes.createStructField("I" + i, DataTypes.LongType, true));
    }
    for (int i = 1; i <= CRITEO_CATS; i++) {
      fields.add(DataTypes.createStructField("C" + i, DataTypes.StringType, true));
    }
    return DataTypes.createStructType(fields);
  }

  /**
   * Generates {@code records} rows of the given kind in {@code partitions} partitions.
   *
   * @return a lazily computed DataFrame; the same arguments always give the same rows
   */
  public static Dataset<Row> generate(
      SparkSession spark, Kind kind, long records, int partitions, long seed) {
    JavaRDD<Row> rows =
        spark.range(0, records, 1, partitions).javaRDD().map(id -> kind.row(id, seed));
    return spark.createDataFrame(rows, kind.schema());
  }

  private static Row mnistRow(SplittableRandom random) {
    float[] image = new float[MNIST_PIXELS];
    // Real digits are ~80% background: zeros, with 8-bit grey levels on the strokes.
    for (int p = 0; p < MNIST_PIXELS; p++) {
      if (random.nextInt(5) == 0) {
        image[p] = random.nextInt(1, 256) / 255f;
      }
    }
    return RowFactory.create((long) random.nextInt(10), image);
  }

  private static Row criteoRow(SplittableRandom random) {
    Object[] values = new Object[1 + CRITEO_INTS + CRITEO_CATS];
    values[0] = random.nextInt(4) == 0 ? 1L : 0L;
    for (int i = 1; i <= CRITEO_INTS; i++) {
      // Counts are long-tailed; a few columns are often missing, as in the real logs.
      boolean missing = random.nextInt(100) < 5 + 3 * i;
      values[i] = missing ? null : (long) Math.exp(random.nextDouble() * 9);
    }
    for (int c = 1; c <= CRITEO_CATS; c++) {
      boolean missing = random.nextInt(100) < 2 * (c % 5);
      values[CRITEO_INTS + c] = missing ? null : categorical(random, c);
    }
    return RowFactory.create(values);
  }

  /** An 8-hex-char hash drawn from a skewed per-column vocabulary, like "68fd1e64". */
  private static String categorical(SplittableRandom random, int column) {
    int vocabulary = 10 << (column % 12);
    double skewed = Math.pow(random.nextDouble(), 3);
    long index = (long) (skewed * vocabulary);
    int hash = Long.hashCode((index + 1) * 0x9E3779B97F4A7C15L ^ column * 0xC2B2AE3D27D4EB4FL);
    String hex = Integer.toHexString(hash);
    return "00000000".substring(hex.length()) + hex;
  }
}
