package org.sparktf.examples.criteo;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparktf.core.BatchSource;
import org.sparktf.core.BatchSource.Batch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.SparseOptimizer;
import org.sparktf.core.SummaryWriter;
import org.sparktf.core.TFRecordBatches;
import org.sparktf.core.TrainingLoop;
import org.sparktf.examples.reporting.Throughput;
import org.sparktf.examples.reporting.TrainingPlots;
import org.sparktf.ml.model.ModelBuilder;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * What every node of the Criteo training cluster runs (InputMode.TENSORFLOW): each worker reads its
 * share of the training chunks for a number of epochs and trains a {@link ClickModel}
 * asynchronously with AdaGrad (sparse updates of its tables unless the settings say dense); the
 * chief also measures the validation log loss at regular global steps (the reference's evaluation
 * curve), waits for the other workers, checkpoints and exports a SavedModel under {@code
 * <modelDir>/export/<step>}.
 */
final class CriteoNode implements NodeFunction {
  private static final long serialVersionUID = 1L;
  static final String CURVE_FILE = "validation_loss.tsv";
  private static final int EVAL_BATCH = 4096;
  private static final Duration WAIT = Duration.ofMinutes(30);

  /** The embeddings' initializer seed: the same initial model in every run. */
  private static final long SEED = 1;

  /** The training settings, as the nodes need them. */
  record Settings(
      String trainDir,
      String validationDir,
      int epochs,
      int batchSize,
      float learningRate,
      float initialAccumulator,
      long hashBuckets,
      long evalEvery,
      int evalRecords,
      long checkpointEvery,
      boolean sparse,
      ClickModel.Type modelType,
      int factors,
      int tableShards)
      implements Serializable {}

  private final Settings settings;

  CriteoNode(Settings settings) {
    this.settings = settings;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return;
    }
    List<TString> validation = new ArrayList<>();
    // The chief's validation log loss goes to TensorBoard's evaluation run, <modelDir>/eval.
    try (Graph graph = new Graph();
        SummaryWriter evalWriter =
            ctx.isChief()
                ? SummaryWriter.open(
                    ctx.hadoopConf(), new Path(ctx.modelDir(), TrainingPlots.EVAL_RUN).toString())
                : null) {
      Ops tf = Ops.create(graph);
      Ops local = tf.withDevice(ctx.localDevice());
      Placeholder<TString> records =
          local.withName("records").placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
      Map<String, Operand<?>> columns = ClickModel.parse(local, records);
      // The tables (each in tableShards shards) and the bias on the parameter servers (the lookups
      // run there too, so only ids and looked-up rows cross the network), the rest on this worker.
      ModelBuilder model =
          new ModelBuilder(
              tf, local, Map.of(), null, ctx::variableDevice, true, SEED, settings.tableShards());
      Operand<TFloat32> logits = logits(model, columns);
      Operand<TFloat32> labels =
          local.dtypes.cast((Operand<TInt64>) columns.get(CriteoFormat.LABEL), TFloat32.class);
      Operand<TFloat32> perExample = CriteoFeatures.logLoss(local, logits, labels);
      Operand<TFloat32> sumLoss = local.reduceSum(perExample, local.constant(0));
      // Divided by the batch size asked for, not the rows in the batch: the short batch at the end
      // of each file then moves the weights as little as its few rows deserve.
      Operand<TFloat32> meanLoss =
          local.math.div(sumLoss, local.constant((float) settings.batchSize()));
      SparseOptimizer adaGrad =
          SparseOptimizer.adaGrad(settings.learningRate(), settings.initialAccumulator());
      // Sparse: each step sends the batch's ids and their rows' gradients to the PS; dense: the
      // gradient of every whole table (TensorFlow's C++ gradient of a gather is dense).
      ReplicatedTraining training =
          settings.sparse()
              ? ReplicatedTraining.asynchronous(
                  ctx, graph, adaGrad, meanLoss, model.sparseLookups())
              : ReplicatedTraining.asynchronous(ctx, graph, adaGrad.dense(graph), meanLoss);
      List<String> files = new ArrayList<>(TFRecordBatches.shard(ctx, settings.trainDir()));
      TrainingLoop.Builder loop =
          TrainingLoop.builder(ctx, training)
              .beginTimeout(WAIT)
              .finishTimeout(WAIT)
              .summaryEvery(100)
              .every(1, Throughput.of(ctx, settings.batchSize(), 50))
              .checkpoints(settings.checkpointEvery(), 0, 3)
              .data(
                  settings.epochs(),
                  epoch -> {
                    // A new file order every epoch (the ETL already shuffled the rows within each
                    // file), so the epochs do not repeat one sequence.
                    Collections.shuffle(files, new Random(31L * epoch + ctx.taskIndex()));
                    TFRecordBatches batches = TFRecordBatches.open(ctx, files);
                    return BatchSource.records(
                        batches::next,
                        settings.batchSize(),
                        batch -> Batch.of(Map.of(records, batch)),
                        batches);
                  })
              .exportSavedModel(
                  step ->
                      new Path(new Path(ctx.modelDir(), "export"), Long.toString(step)).toString(),
                  this::servingGraph);
      if (ctx.isChief()) {
        // The chief evaluates at the start (reading the validation records once it has begun),
        // regularly, and after it waited for the other workers, so that the last point holds all
        // their updates.
        Evaluation evaluation = new Evaluation(ctx, evalWriter, records, sumLoss, validation);
        loop.onBegin(
                (session, step) -> {
                  readValidation(ctx, validation);
                  evaluation.at(session, step);
                })
            .every(settings.evalEvery(), evaluation::at)
            .onFinish(evaluation::at);
      }
      loop.build().run(graph);
    } finally {
      validation.forEach(TString::close);
    }
  }

  /** Reads the first {@code evalRecords} validation records into memory, once. */
  private void readValidation(NodeContext ctx, List<TString> batches) throws IOException {
    Path dir = new Path(settings.validationDir());
    FileSystem fs = dir.getFileSystem(ctx.hadoopConf());
    List<String> files = new ArrayList<>();
    Arrays.stream(fs.listStatus(dir))
        .map(FileStatus::getPath)
        .filter(p -> !p.getName().startsWith(".") && !p.getName().startsWith("_"))
        .sorted()
        .forEach(p -> files.add(p.toString()));
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot evaluate: " + dir + " holds no validation files; run CriteoEtl first");
    }
    long read = 0;
    try (TFRecordBatches reader = TFRecordBatches.open(ctx, files)) {
      while (read < settings.evalRecords()) {
        TString batch = reader.next((int) Math.min(EVAL_BATCH, settings.evalRecords() - read));
        if (batch.shape().size(0) == 0) {
          batch.close();
          break;
        }
        read += batch.shape().size(0);
        batches.add(batch);
      }
    }
    if (read == 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate: " + dir + " holds no validation records; run CriteoEtl first");
    }
  }

  /** The serving graph: same variables, no devices, one input per column. */
  private Signature servingGraph(Ops tf) {
    Map<String, Placeholder<?>> inputs = ClickModel.servingInputs(tf);
    ModelBuilder model = new ModelBuilder(tf, tf, Map.of(), null, i -> null, false, SEED);
    Operand<TFloat32> logits = logits(model, new HashMap<String, Operand<?>>(inputs));
    Signature.Builder signature = Signature.builder().key("serving_default");
    inputs.forEach(signature::input);
    signature.output(ClickModel.PROBABILITY, tf.math.sigmoid(logits));
    return signature.build();
  }

  private Operand<TFloat32> logits(ModelBuilder model, Map<String, Operand<?>> columns) {
    return ClickModel.logits(
        model, columns, settings.modelType(), settings.hashBuckets(), settings.factors());
  }

  /** The chief's validation log loss at chosen steps, appended to {@code <modelDir>/CURVE_FILE}. */
  private static final class Evaluation {
    private final NodeContext ctx;
    private final SummaryWriter summaries;
    private final Placeholder<TString> records;
    private final Operand<TFloat32> sumLoss;
    private final List<TString> batches;
    private long start = -1; // the first evaluation's time: the curve's seconds count from it
    private final StringBuilder curve = new StringBuilder("step\tseconds\tvalidation_log_loss\n");

    Evaluation(
        NodeContext ctx,
        SummaryWriter summaries,
        Placeholder<TString> records,
        Operand<TFloat32> sumLoss,
        List<TString> batches) {
      this.ctx = ctx;
      this.summaries = summaries;
      this.records = records;
      this.sumLoss = sumLoss;
      this.batches = batches;
    }

    void at(Session session, long step) {
      if (start < 0) {
        start = System.nanoTime();
      }
      double sum = 0;
      long count = 0;
      for (TString batch : batches) {
        try (TFloat32 loss =
            (TFloat32) session.runner().feed(records, batch).fetch(sumLoss).run().get(0)) {
          sum += loss.getFloat();
        }
        count += batch.shape().size(0);
      }
      double logLoss = sum / count;
      curve.append(
          String.format("%d\t%.1f\t%.6f%n", step, (System.nanoTime() - start) / 1e9, logLoss));
      summaries.scalar("validation_log_loss", step, logLoss);
      summaries.flush();
      Path file = new Path(ctx.modelDir(), CURVE_FILE);
      try (FSDataOutputStream out = file.getFileSystem(ctx.hadoopConf()).create(file, true)) {
        out.write(curve.toString().getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
      }
    }
  }
}
