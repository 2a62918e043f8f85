package org.sparktf.core.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.apache.hadoop.conf.Configuration;
import org.sparktf.core.ClusterSpec;
import org.sparktf.core.DataFeed;
import org.sparktf.core.InputMode;
import org.sparktf.core.NodeContext;
import org.sparktf.core.SummaryWriter;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.types.TBool;

/** The {@link NodeContext} of a node process; closed by the runtime after the function returns. */
public final class NodeContextImpl implements NodeContext, AutoCloseable {
  private final NodeSpec spec;
  private final ClusterSpec cluster;
  private final int tfPort;
  private final Path localDir;
  private final Configuration hadoopConf;
  private final DataFeed feed;
  private final CheckpointAnnouncer checkpoints;
  private final StepReporter steps;
  private EventFileWriter summaries;

  NodeContextImpl(
      NodeSpec spec,
      ClusterSpec cluster,
      int tfPort,
      Path localDir,
      DataFeed feed,
      CheckpointAnnouncer checkpoints,
      StepReporter steps) {
    this.spec = spec;
    this.checkpoints = checkpoints;
    this.feed = feed;
    this.steps = steps;
    this.cluster = cluster;
    this.tfPort = tfPort;
    this.localDir = localDir;
    this.hadoopConf = new Configuration();
    spec.hadoopConf.forEach(hadoopConf::set);
  }

  /** Whom {@link org.sparktf.core.Checkpoints} tells about the checkpoints it saves. */
  public CheckpointAnnouncer checkpointAnnouncer() {
    return checkpoints;
  }

  @Override
  public String jobName() {
    return spec.layout.job(spec.index);
  }

  @Override
  public int taskIndex() {
    return spec.layout.taskIndex(spec.index);
  }

  @Override
  public String executorId() {
    return spec.executorId;
  }

  @Override
  public long generation() {
    return spec.generation;
  }

  @Override
  public ClusterSpec clusterSpec() {
    return cluster;
  }

  @Override
  public int numWorkers() {
    return spec.layout.numWorkers();
  }

  @Override
  public int numPs() {
    return spec.layout.numPs();
  }

  @Override
  public boolean isChief() {
    return ClusterLayout.WORKER.equals(jobName()) && taskIndex() == 0;
  }

  @Override
  public InputMode inputMode() {
    return spec.inputMode;
  }

  @Override
  public DataFeed dataFeed() {
    if (feed == null) {
      throw new IllegalStateException(
          "Cannot read the data feed on "
              + jobName()
              + ":"
              + taskIndex()
              + ": only workers of a cluster in InputMode.SPARK are fed");
    }
    return feed;
  }

  @Override
  public String target() {
    return "grpc://localhost:" + tfPort;
  }

  @Override
  public Session session(Graph graph) {
    Session session = GrpcSessions.open(graph, target(), sessionConfig());
    if (!isChief()) {
      GrpcSessions.markInitialized(session);
    }
    return session;
  }

  @Override
  public void awaitVariables(Session session, Duration timeout) {
    Graph graph = session.graph();
    Ops tf = Ops.create(graph).withSubScope("sparktf_await_variables");
    List<Operand<TBool>> checks = new ArrayList<>();
    graph
        .operations()
        .forEachRemaining(
            op -> {
              if (op.type().equals("VariableV2") || op.type().equals("Variable")) {
                checks.add(tf.isVariableInitialized(op.output(0)));
              }
            });
    if (checks.isEmpty()) {
      return;
    }
    Operand<TBool> all = tf.reduceAll(tf.stack(checks), tf.constant(0));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (TBool ready = (TBool) session.runner().fetch(all).run().get(0)) {
        if (ready.getBoolean()) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cannot start training on "
                + jobName()
                + ":"
                + taskIndex()
                + ": the chief did not initialize the variables within "
                + timeout.toSeconds()
                + " s");
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }

  ConfigProto sessionConfig() {
    ConfigProto.Builder config =
        ConfigProto.newBuilder()
            .setAllowSoftPlacement(true)
            .setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true));
    if (spec.layout.numPs() > 0) {
      config.addDeviceFilters("/job:" + ClusterLayout.PS);
    }
    config.addDeviceFilters("/job:" + jobName() + "/task:" + taskIndex());
    return spec.threadPools.applyTo(config).build();
  }

  @Override
  public DeviceSpec psDevice(int psTask) {
    if (psTask < 0 || psTask >= numPs()) {
      throw new IllegalArgumentException(
          "Invalid PS task: " + psTask + "; the cluster has " + numPs() + " PS task(s)");
    }
    return DeviceSpec.newBuilder().job(ClusterLayout.PS).task(psTask).build();
  }

  @Override
  public DeviceSpec variableDevice(int n) {
    return numPs() == 0 ? localDevice() : psDevice(Math.floorMod(n, numPs()));
  }

  @Override
  public DeviceSpec localDevice() {
    return DeviceSpec.newBuilder().job(jobName()).task(taskIndex()).build();
  }

  @Override
  public List<String> gpus() {
    return spec.gpus;
  }

  @Override
  public String modelDir() {
    return spec.modelDir;
  }

  @Override
  public Path localDir() {
    return localDir;
  }

  @Override
  public Configuration hadoopConf() {
    return hadoopConf;
  }

  @Override
  public synchronized SummaryWriter summaryWriter() {
    if (summaries == null) {
      if (spec.modelDir == null) {
        throw new IllegalStateException(
            "Cannot write TensorBoard summaries: the cluster has no model directory; set"
                + " TFCluster.builder(...).modelDir(...)");
      }
      String dir = isChief() ? spec.modelDir : spec.modelDir + "/" + jobName() + "_" + taskIndex();
      summaries = EventFileWriter.open(hadoopConf, dir, spec.host);
    }
    return summaries;
  }

  @Override
  public void reportStep(
      long globalStep, double loss, long examples, long computeNanos, long dataWaitNanos) {
    steps.step(globalStep, loss, examples, computeNanos, dataWaitNanos);
  }

  @Override
  public void reportTargetStep(long globalStep) {
    steps.targetStep(globalStep);
  }

  @Override
  public synchronized void close() {
    if (summaries != null) {
      summaries.close();
    }
  }
}
