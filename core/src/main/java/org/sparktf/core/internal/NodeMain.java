package org.sparktf.core.internal;

import java.io.IOException;
import java.io.ObjectInputStream;

/**
 * The entry point of a node's child JVM. It reads its {@link NodeSpec} from standard input, runs
 * the node, and halts: a started TensorFlow server cannot be stopped in-process, so leaving the JVM
 * is the only way to release its port and threads. Its exit codes are those of {@link NodeExit}.
 */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) {
    NodeSpec spec;
    ObjectInputStream in;
    try {
      in = new ObjectInputStream(System.in);
      spec = (NodeSpec) in.readObject();
    } catch (IOException | ClassNotFoundException | ClassCastException e) {
      System.err.println("Cannot read the node spec from standard input: " + e);
      halt(NodeExit.FAILED);
      return;
    }
    try {
      // The executor's Hadoop credentials follow the spec, before anything opens a file system.
      NodeCredentials.configure(spec.hadoopConf);
      NodeCredentials.apply((byte[]) in.readObject());
    } catch (IOException | ClassNotFoundException | RuntimeException e) {
      System.err.println("Cannot take the executor's Hadoop credentials: " + e);
      halt(NodeExit.FAILED);
      return;
    }
    watchParent(in);
    int code;
    try {
      code = new NodeRuntime(spec).run();
    } catch (Throwable t) {
      t.printStackTrace();
      code = NodeExit.FAILED;
    }
    halt(code);
  }

  /**
   * The executor holds our standard input open for our whole life and sends renewed Hadoop
   * credentials on it; EOF means it is gone.
   */
  private static void watchParent(ObjectInputStream stdin) {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (true) {
                  NodeCredentials.apply((byte[]) stdin.readObject());
                }
              } catch (IOException | ClassNotFoundException | ClassCastException e) {
                // EOF: the executor is gone. Anything else: it can no longer talk to us either.
                if (!(e instanceof java.io.EOFException)) {
                  System.err.println("Cannot read from the supervising executor: " + e);
                }
              }
              System.err.println("The supervising executor is gone; exiting");
              halt(NodeExit.PARENT_GONE);
            },
            "sparktf-parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** Cleanup that must happen even when the process halts from another thread. */
  static volatile Runnable beforeHalt = () -> {};

  static void halt(int code) {
    try {
      beforeHalt.run();
    } catch (RuntimeException e) {
      System.err.println("Cleanup before exit failed: " + e);
    }
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(code);
  }
}
