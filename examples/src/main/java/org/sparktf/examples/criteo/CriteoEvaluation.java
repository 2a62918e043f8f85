package org.sparktf.examples.criteo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparktf.ml.TFModel;

/**
 * Scores the validation set with the trained model's SavedModel through {@link TFModel} and prints
 * its log loss and that of the best constant prediction (the rows' click rate); with {@code
 * --planted-seed} (data from {@link CriteoGenerator}) also the best achievable log loss (the
 * cross-entropy of the planted model's true probabilities on the same rows) and the model's gain:
 * {@code (constant − model) / (constant − planted)}, the share of the learnable signal it learned
 * (1 at the optimum, 0 for a model no better than the click rate).
 *
 * <p>Usage: {@code CriteoEvaluation --data DIR --model DIR [--planted-seed SEED] [--planted
 * realistic|simple]} (the generator's {@code --planted}, realistic by default)
 */
public final class CriteoEvaluation {
  static final String USAGE =
      "CriteoEvaluation --data DIR --model DIR [--planted-seed SEED] [--planted realistic|simple]";
  private static final double EPSILON = 1e-7;

  private CriteoEvaluation() {}

  /**
   * The model's log loss, the planted model's (NaN without a seed) and the best constant
   * prediction's, over {@code rows}.
   */
  record Result(long rows, double logLoss, double optimum, double constant) {
    /** (constant − model) / (constant − planted): 1 at the optimum; NaN without a seed. */
    double gain() {
      return (constant - logLoss) / (constant - optimum);
    }
  }

  public static void main(String[] args) {
    boolean ownSession = !JobArgs.hasSession();
    SparkSession spark = JobArgs.session("SparkTF Criteo evaluation");
    try {
      run(spark, args);
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  static Result run(SparkSession spark, String... args) {
    JobArgs options = new JobArgs(USAGE, Set.of("data", "model", "planted-seed", "planted"), args);
    String validation = new Path(options.required("data"), "validation").toString();
    String exportDir =
        CriteoTraining.latestExport(
            spark.sparkContext().hadoopConfiguration(),
            new Path(options.required("model"), "export"));
    boolean planted = options.string("planted-seed", null) != null;
    PlantedModel truth =
        new PlantedModel(
            planted ? options.longValue("planted-seed", 0, Long.MIN_VALUE) : 0,
            CriteoGenerator.realistic(options, USAGE));

    Dataset<Row> rows =
        spark.read().format("tfrecord").schema(CriteoFormat.SCHEMA).load(validation);
    // The serving graph takes no nulls: missing values as the training graph's parser reads them.
    Map<String, Object> missing = new LinkedHashMap<>();
    Map<String, String> inputs = new LinkedHashMap<>();
    for (String name : CriteoFormat.featureNames()) {
      missing.put(name, name.startsWith("I") ? CriteoFeatures.MISSING_NUMERIC : "");
      inputs.put(name, name);
    }
    Dataset<Row> scored =
        new TFModel()
            .setExportDir(exportDir)
            .setInputMapping(inputs)
            .setOutputMapping(Map.of(ClickModel.PROBABILITY, ClickModel.PROBABILITY))
            .setBatchSize(4096)
            .transform(rows.na().fill(missing));
    int probability = scored.schema().fieldIndex(ClickModel.PROBABILITY);
    double[] sums =
        scored
            .javaRDD()
            .map(
                row -> {
                  long label = row.getLong(0);
                  double p = row.getFloat(probability);
                  double q = planted ? truth.probability(values(row)) : 0.5;
                  return new double[] {1, logLoss(label, p), logLoss(label, q), label};
                })
            .reduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]});
    double clickRate = sums[3] / sums[0];
    double constant =
        -(clickRate * Math.log(Math.max(clickRate, EPSILON))
            + (1 - clickRate) * Math.log(Math.max(1 - clickRate, EPSILON)));
    Result result =
        new Result(
            (long) sums[0], sums[1] / sums[0], planted ? sums[2] / sums[0] : Double.NaN, constant);
    System.out.printf(
        "Validation log loss of %s on %d rows: %.5f (constant click rate %.4f: %.5f)%n",
        exportDir, result.rows(), result.logLoss(), clickRate, constant);
    if (planted) {
      System.out.printf(
          "Best achievable (planted model's true probabilities): %.5f; ratio %.4f; gain %.3f%n",
          result.optimum(), result.logLoss() / result.optimum(), result.gain());
    }
    return result;
  }

  private static Object[] values(Row row) {
    Object[] values = new Object[CriteoFormat.FIELDS];
    for (int i = 0; i < values.length; i++) {
      values[i] = row.get(i);
    }
    return values;
  }

  private static double logLoss(long label, double p) {
    double clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
    return -(label == 1 ? Math.log(clipped) : Math.log(1 - clipped));
  }
}
