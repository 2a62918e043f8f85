package org.sparktf.core;

/**
 * A TensorFlow cluster could not start, a node failed, or a wait ran past its timeout. The message
 * names the node (role and executor) and carries the node's error or last output.
 */
public class TFClusterException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TFClusterException(String message) {
    super(message);
  }

  public TFClusterException(String message, Throwable cause) {
    super(message, cause);
  }
}
