package org.sparktf.core.internal;

import java.io.Serializable;
import org.tensorflow.proto.ConfigProto;

/**
 * The sizes of a node's TensorFlow thread pools: the inter-op pool (ops run side by side) and the
 * intra-op pool (one op's work split across threads); 0 lets TensorFlow size a pool, to all the
 * machine's cores. Applied to the node's gRPC server, whose devices run every op placed on the node
 * (a PS's variables and updates, the remote parts of a worker's graph), and to its sessions.
 */
public record ThreadPools(int interOp, int intraOp) implements Serializable {
  /** TensorFlow's own sizing of both pools. */
  public static final ThreadPools DEFAULT = new ThreadPools(0, 0);

  public ThreadPools {
    if (interOp < 0 || intraOp < 0) {
      throw new IllegalArgumentException(
          "Invalid thread pools: inter-op " + interOp + ", intra-op " + intraOp + "; use >= 0");
    }
  }

  /** Sets the pool sizes on {@code config}, leaving TensorFlow's sizing where a size is 0. */
  ConfigProto.Builder applyTo(ConfigProto.Builder config) {
    if (interOp > 0) {
      config.setInterOpParallelismThreads(interOp);
    }
    if (intraOp > 0) {
      config.setIntraOpParallelismThreads(intraOp);
    }
    return config;
  }
}
