package org.sparktf.core.internal;

import java.io.Serializable;

/**
 * Which role each node index plays: parameter servers first, then the workers (worker 0 is the
 * chief), then the optional evaluator.
 */
public final class ClusterLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String PS = "ps";
  public static final String WORKER = "worker";
  public static final String EVALUATOR = "evaluator";

  private final int numNodes;
  private final int numPs;
  private final boolean evaluator;

  public ClusterLayout(int numNodes, int numPs, boolean evaluator) {
    int workers = numNodes - numPs - (evaluator ? 1 : 0);
    if (numPs < 0) {
      throw new IllegalArgumentException("Invalid numPs: " + numPs + "; it must be >= 0");
    }
    if (workers < 1) {
      throw new IllegalArgumentException(
          "Invalid cluster size: "
              + numNodes
              + " executors leave no worker after "
              + numPs
              + " parameter server(s)"
              + (evaluator ? " and 1 evaluator" : "")
              + "; set numExecutors to at least "
              + (numPs + (evaluator ? 2 : 1)));
    }
    this.numNodes = numNodes;
    this.numPs = numPs;
    this.evaluator = evaluator;
  }

  public int numNodes() {
    return numNodes;
  }

  public int numPs() {
    return numPs;
  }

  public int numWorkers() {
    return numNodes - numPs - (evaluator ? 1 : 0);
  }

  public String job(int index) {
    checkIndex(index);
    if (index < numPs) {
      return PS;
    }
    return evaluator && index == numNodes - 1 ? EVALUATOR : WORKER;
  }

  public int taskIndex(int index) {
    checkIndex(index);
    String job = job(index);
    return PS.equals(job) ? index : WORKER.equals(job) ? index - numPs : 0;
  }

  /** "worker:1" and the like, for messages. */
  public String describe(int index) {
    return job(index) + ":" + taskIndex(index);
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= numNodes) {
      throw new IllegalArgumentException("Invalid node index: " + index);
    }
  }
}
