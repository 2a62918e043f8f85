package org.sparktf.examples.regression;

import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.sparktf.ml.TFEstimator;
import org.sparktf.ml.model.Layers;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The cluster smoke job: trains a linear regression on CSV rows from any Hadoop file system (a
 * parameter server and a worker), exports a SavedModel, scores the same rows with it and writes the
 * predictions and their root-mean-square error next to the model.
 *
 * <p>Usage: {@code RegressionJob <csvDir> <workDir>}. The CSV has a header and the columns {@code
 * x1,x2,x3,y}. Written under {@code workDir}: {@code model/} (checkpoints and TensorBoard events),
 * {@code export/} (the SavedModel), {@code predictions/} (Parquet) and {@code metrics/} (one JSON
 * row: rows, rmse). Under {@code spark-submit} the master and the executors come from the submit
 * command; the job needs two executors.
 */
public final class RegressionJob {
  private static final String[] FEATURES = {"x1", "x2", "x3"};

  private RegressionJob() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      throw new IllegalArgumentException(
          "Invalid arguments: "
              + String.join(" ", args)
              + "; usage: RegressionJob <csvDir> <workDir>");
    }
    SparkSession spark = SparkSession.builder().appName("SparkTF regression").getOrCreate();
    try {
      Row metrics = run(spark, args[0], args[1]);
      System.out.println("SparkTF regression: " + metrics.json());
    } finally {
      spark.stop();
    }
  }

  /** Trains, exports and scores; returns the metrics row it wrote (rows, rmse). */
  public static Row run(SparkSession spark, String csvDir, String workDir) {
    Dataset<Row> rows =
        spark
            .read()
            .option("header", "true")
            .schema("x1 DOUBLE, x2 DOUBLE, x3 DOUBLE, y DOUBLE")
            .csv(csvDir)
            .cache();
    TFEstimator estimator =
        new TFEstimator(RegressionJob::linear)
            .setInputMapping(Map.of("features", "features"))
            .setOutputMapping(Map.of("y_hat", "prediction"))
            .setLabelCol("y")
            .setClusterSize(2)
            .setNumPs(1)
            .setEpochs(8)
            .setBatchSize(32)
            .setLearningRate(0.05f)
            .setCheckpointInterval(100)
            .setModelDir(workDir + "/model")
            .setExportDir(workDir + "/export");
    PipelineModel fitted =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new VectorAssembler().setInputCols(FEATURES).setOutputCol("features"), estimator
                })
            .fit(rows);
    Dataset<Row> scored = fitted.transform(rows).select("x1", "x2", "x3", "y", "prediction");
    scored.write().mode(SaveMode.Overwrite).parquet(workDir + "/predictions");
    Dataset<Row> metrics =
        spark
            .read()
            .parquet(workDir + "/predictions")
            .selectExpr("count(*) AS rows", "sqrt(avg(pow(prediction - y, 2))) AS rmse");
    metrics.coalesce(1).write().mode(SaveMode.Overwrite).json(workDir + "/metrics");
    rows.unpersist();
    return metrics.first();
  }

  /** y_hat = x·w + b, trained on the mean squared error. */
  static ModelOutputs linear(ModelBuilder model) {
    Ops tf = model.tf();
    Operand<TFloat32> yHat =
        tf.reshape(
            Layers.dense(model, "linear", model.input("features"), FEATURES.length, 1, false),
            tf.constant(new long[] {-1}));
    Operand<TFloat32> loss =
        model.training()
            ? tf.math.mean(tf.math.squaredDifference(yHat, model.labelAsFloats()), tf.constant(0))
            : null;
    return ModelOutputs.of(loss, Map.of("y_hat", yHat));
  }
}
