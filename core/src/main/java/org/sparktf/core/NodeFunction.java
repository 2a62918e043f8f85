package org.sparktf.core;

import java.io.Serializable;

/**
 * The code every TensorFlow node runs. It is serialized on the driver and run in the node's own
 * child process on an executor, so everything it captures must be serializable.
 *
 * <p>A parameter-server node normally returns at once: its TensorFlow server keeps serving until
 * the cluster shuts down. Workers build their graph, open {@link NodeContext#session} and train.
 */
@FunctionalInterface
public interface NodeFunction extends Serializable {
  /**
   * Runs the node.
   *
   * @param context this node's role, cluster and resources; valid until the function returns
   * @throws Exception any failure; it fails the cluster with this node's role and stack trace
   */
  void run(NodeContext context) throws Exception;
}
