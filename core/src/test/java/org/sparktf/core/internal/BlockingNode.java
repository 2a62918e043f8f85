package org.sparktf.core.internal;

import java.nio.file.Files;
import java.util.concurrent.locks.LockSupport;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;

/** A node function that marks its local directory and then runs until its process ends. */
final class BlockingNode implements NodeFunction {
  private static final long serialVersionUID = 1L;
  static final String READY = "ready";

  @Override
  public void run(NodeContext ctx) throws Exception {
    Files.writeString(ctx.localDir().resolve(READY), Long.toString(ProcessHandle.current().pid()));
    while (true) {
      LockSupport.park();
    }
  }
}
