package org.sparktf.examples.cifar10;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparktf.core.Checkpoints;
import org.sparktf.core.DataFeed;
import org.sparktf.core.FeedBatch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.SavedModels;
import org.tensorflow.DeviceSpec;
import org.tensorflow.DeviceSpec.DeviceType;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * What every node of the CIFAR-10 training cluster runs. Workers train on the records Spark feeds
 * them, one tower per GPU their node sees (or the configured number on the CPU), asynchronously
 * against the variables on the parameter servers (or locally with none). The chief checkpoints to
 * the model directory and, at the end, exports a SavedModel of the serving graph.
 */
final class Cifar10Trainer implements NodeFunction {
  private static final long serialVersionUID = 1L;

  /** The training settings, shipped to the nodes. */
  static final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Towers per worker: 0 means one per GPU, or one on the CPU when the node has no GPU. */
    int towers;

    /** Images per tower per step. */
    int batchSize = 128;

    /** Stop at this global step; 0 trains until the fed data ends. */
    long steps;

    float learningRate = 0.1f;
    boolean distort = true;
    long seed = 42;
    long checkpointSteps = 1000;

    /**
     * Where the chief exports the SavedModel, in a subdirectory named after the final global step
     * (a Hadoop FileSystem URI); null: no export.
     */
    String exportDir;
  }

  private final Settings settings;

  Cifar10Trainer(Settings settings) {
    this.settings = settings;
  }

  @Override
  public void run(NodeContext ctx) throws Exception {
    if (!ctx.jobName().equals("worker")) {
      return; // parameter servers only serve their variables
    }
    DeviceSpec host = onDevice(ctx.localDevice(), DeviceType.CPU, 0);
    List<DeviceSpec> towers = towerDevices(ctx.localDevice(), ctx.gpus().size(), settings.towers);
    long step;
    try (TowerGraph towerGraph =
        TowerGraph.build(
            host,
            n -> onDevice(ctx.variableDevice(n), DeviceType.CPU, 0),
            towers,
            settings.distort,
            settings.seed + 1000L * ctx.taskIndex())) {
      Graph graph = towerGraph.graph();
      ReplicatedTraining training =
          ReplicatedTraining.asynchronous(
                  ctx, graph, towerGraph.optimizer(settings.learningRate), towerGraph.loss())
              .summaries(towerGraph.loss(), 100);
      Checkpoints checkpoints = Checkpoints.every(settings.checkpointSteps, 600, 3);
      int rows = towers.size() * settings.batchSize;
      try (Session session = ctx.session(graph)) {
        step = training.begin(session, Duration.ofMinutes(10));
        DataFeed feed = ctx.dataFeed();
        while (!feed.shouldStop()) {
          FeedBatch batch = feed.nextBatch(rows);
          if (batch.rows() < rows) {
            break; // the tail of the data: too short to split evenly across the towers
          }
          try (TString images = batch.strings("image");
              TInt64 labels = batch.int64("label")) {
            step =
                training.step(
                    session, Map.of(towerGraph.images(), images, towerGraph.labels(), labels));
          }
          if (ctx.isChief()) {
            checkpoints.maybeSave(ctx, session, step);
          }
          if (settings.steps > 0 && step >= settings.steps) {
            feed.terminate();
          }
        }
        step = training.finish(session, Duration.ofMinutes(10));
        if (ctx.isChief()) {
          checkpoints.save(ctx, session, step);
        }
      }
    }
    if (ctx.isChief() && settings.exportDir != null) {
      export(ctx, exportPath(settings.exportDir, step));
    }
  }

  /**
   * The towers of a node: GPU i for tower i when the node sees GPUs, else all on the CPU.
   *
   * @param towers the requested count; 0 means one per GPU (one on a CPU-only node)
   */
  static List<DeviceSpec> towerDevices(DeviceSpec node, int gpus, int towers) {
    if (towers < 0) {
      throw new IllegalArgumentException(
          "Invalid tower count: " + towers + "; use 0 for one tower per GPU, or a positive count");
    }
    if (gpus > 0 && towers > gpus) {
      throw new IllegalArgumentException(
          "Invalid tower count: "
              + towers
              + "; this node sees "
              + gpus
              + " GPU(s): use at most "
              + gpus
              + ", or 0 for one tower per GPU");
    }
    List<DeviceSpec> devices = new ArrayList<>();
    int count = towers > 0 ? towers : Math.max(gpus, 1);
    for (int t = 0; t < count; t++) {
      devices.add(gpus > 0 ? onDevice(node, DeviceType.GPU, t) : onDevice(node, DeviceType.CPU, 0));
    }
    return devices;
  }

  /** {@code spec}'s job, replica and task, on the given device. */
  static DeviceSpec onDevice(DeviceSpec spec, DeviceType type, int index) {
    return DeviceSpec.newBuilder()
        .job(spec.job())
        .replica(spec.replica())
        .task(spec.task())
        .deviceType(type)
        .deviceIndex(index)
        .build();
  }

  /** The SavedModel directory of the model trained to {@code step}. */
  static String exportPath(String exportDir, long step) {
    return exportDir + "/" + step;
  }

  /** Exports the serving graph, restored from the last checkpoint, as a SavedModel. */
  private void export(NodeContext ctx, String exportDir) {
    try (Graph graph = new Graph()) {
      ServingGraph serving = new ServingGraph(Ops.create(graph));
      try (Session session = new Session(graph)) {
        Checkpoints.restoreLatest(ctx, session);
        SavedModels.export(
            session, ctx.hadoopConf(), exportDir, ctx.localDir(), serving.signature());
      }
    }
  }
}
