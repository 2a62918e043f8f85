package org.sparktf.examples.cifar10;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparktf.core.BatchSource;
import org.sparktf.core.BatchSource.Batch;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;
import org.sparktf.core.ReplicatedTraining;
import org.sparktf.core.TrainingLoop;
import org.sparktf.examples.reporting.Throughput;
import org.tensorflow.DeviceSpec;
import org.tensorflow.DeviceSpec.DeviceType;
import org.tensorflow.Graph;

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
              ctx, graph, towerGraph.optimizer(settings.learningRate), towerGraph.loss());
      TrainingLoop.Builder loop =
          TrainingLoop.builder(ctx, training)
              .maxSteps(settings.steps)
              .checkpoints(settings.checkpointSteps, 600, 3)
              .summaryEvery(100)
              .every(1, Throughput.of(ctx, towers.size() * settings.batchSize, 20))
              // The tail of the data is too short to split evenly across the towers: dropped.
              .data(
                  BatchSource.fullFeedBatches(
                      ctx.dataFeed(),
                      towers.size() * settings.batchSize,
                      rows ->
                          Batch.of(
                              Map.of(
                                  towerGraph.images(),
                                  rows.strings("image"),
                                  towerGraph.labels(),
                                  rows.int64("label")))));
      if (settings.exportDir != null) {
        loop.exportSavedModel(
            step -> exportPath(settings.exportDir, step), tf -> new ServingGraph(tf).signature());
      }
      loop.build().run(graph);
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
}
