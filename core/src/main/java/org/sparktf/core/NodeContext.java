package org.sparktf.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Session;

/**
 * What a {@link NodeFunction} knows about its node and cluster, and the resources the runtime owns
 * for it. Valid until the function returns.
 */
public interface NodeContext {
  /** The job of this node: "ps", "worker" or "evaluator". */
  String jobName();

  /** The index of this node within its job. */
  int taskIndex();

  /** The Spark executor that supervises this node's process. */
  String executorId();

  /**
   * The generation of this node's cluster: the driver numbers every start and every restart of a
   * cluster on a model directory higher than any before it, and records it there, before its nodes
   * start. The same on every node of one start. {@link Checkpoints} stamps each checkpoint with it
   * and refuses a save once a newer generation has started, so a node frozen across a restart (and
   * woken after it) cannot replace the new generation's checkpoints.
   */
  long generation();

  /** The whole TensorFlow cluster. */
  ClusterSpec clusterSpec();

  /** The number of "worker" tasks; worker 0 is the chief. */
  int numWorkers();

  /** The number of "ps" tasks. */
  int numPs();

  /** Whether this node is the chief (worker 0): it initializes, checkpoints and exports. */
  boolean isChief();

  /** How training data reaches this node. */
  InputMode inputMode();

  /**
   * The rows Spark feeds this worker in {@link InputMode#SPARK}.
   *
   * @throws IllegalStateException in {@link InputMode#TENSORFLOW}, or on a node that is not a
   *     worker
   */
  DataFeed dataFeed();

  /** The gRPC target of this node's own TensorFlow server, for example "grpc://localhost:41234". */
  String target();

  /**
   * Opens a session on this node's TensorFlow server, so the graph's ops run wherever they are
   * placed in the cluster. Its device filters limit it to the parameter servers and this task, so a
   * worker never waits for the other workers. The caller closes the session (before the graph).
   *
   * <p>On the chief, call {@code session.initialize()} (or restore a checkpoint) before training.
   * On the other workers the session never runs the graph's initializers, which would reset the
   * shared variables: call {@link #awaitVariables} instead.
   */
  Session session(Graph graph);

  /**
   * Waits until every variable of the session's graph is initialized (by the chief).
   *
   * @throws IllegalStateException when they are not within {@code timeout}
   */
  void awaitVariables(Session session, Duration timeout);

  /** The device of parameter-server task {@code psTask}: "/job:ps/task:N". */
  DeviceSpec psDevice(int psTask);

  /**
   * Where the {@code n}-th variable of a model goes: parameter servers in turn, so several PS tasks
   * share the variables; this node's own device when the cluster has no PS.
   */
  DeviceSpec variableDevice(int n);

  /** This node's own device, for compute ops: "/job:worker/task:N". */
  DeviceSpec localDevice();

  /** The GPU ids Spark assigned to this node's task (visible to TensorFlow); empty for CPU. */
  List<String> gpus();

  /** The model directory: a Hadoop FileSystem URI (hdfs://, file://, ...). */
  String modelDir();

  /**
   * A local directory private to this node, deleted when the node exits: TensorFlow writes here
   * (checkpoints, exports) and the runtime copies the results to {@link #modelDir()}.
   */
  Path localDir();

  /**
   * This node's TensorBoard writer, opened on first use: the chief writes to {@link #modelDir()},
   * other nodes to {@code <modelDir>/<job>_<task>}. The runtime closes it after the function.
   *
   * @throws IllegalStateException when the cluster has no model directory
   */
  SummaryWriter summaryWriter();

  /** The Hadoop configuration of the Spark application, for reading and writing model files. */
  Configuration hadoopConf();

  /**
   * Tells the driver about one training step of this worker, for the driver's progress log, {@link
   * TFCluster#progress()}, its listeners and metrics, and the profile report at the end of
   * training. {@link TrainingLoop} calls it after every step; a node function with a loop of its
   * own calls it likewise. Cheap: the node sums the steps and sends the totals to the driver at
   * most once a second (and once more when the function returns).
   *
   * @param globalStep the global step after this step
   * @param loss the step's loss, or {@code Double.NaN} when not known
   * @param examples the examples (rows) the step trained on
   * @param computeNanos the time the step itself took (the session run, parameter-server
   *     communication included)
   * @param dataWaitNanos the time spent getting the step's batch (waiting for the feed, reading and
   *     parsing)
   * @throws IllegalArgumentException when a count or time is negative
   */
  default void reportStep(
      long globalStep, double loss, long examples, long computeNanos, long dataWaitNanos) {
    // A context outside a cluster (a local session, a test double) has no driver to tell.
  }

  /**
   * Tells the driver the global step training stops at (for example the loop's step limit), so the
   * driver can estimate the time left; 0 when not known.
   */
  default void reportTargetStep(long globalStep) {
    // A context outside a cluster has no driver to tell.
  }
}
