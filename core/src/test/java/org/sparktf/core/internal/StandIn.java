package org.sparktf.core.internal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.ObjectInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A driver (a coordinator) or an executor (supervising one node process) in a JVM of its own, for
 * tests that stop or kill them with real signals. It prints the coordinator's port or the node's
 * pid, then lives until it is killed.
 */
public final class StandIn {
  private StandIn() {}

  /**
   * {@code driver <livenessTimeoutMillis>} reads the secret (base64) from standard input; {@code
   * executor} reads a serialized {@link NodeSpec}.
   */
  public static void main(String[] args) throws Exception {
    if ("driver".equals(args[0])) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      byte[] secret = Base64.getDecoder().decode(in.readLine());
      Coordinator coordinator =
          new Coordinator(
              new ClusterLayout(1, 0, false), secret, "127.0.0.1", Long.parseLong(args[1]));
      System.out.println(coordinator.port());
    } else {
      NodeSpec spec = (NodeSpec) new ObjectInputStream(System.in).readObject();
      System.out.println(NodeProcess.launch(spec).pid());
    }
    System.out.flush();
    Thread.currentThread().join();
  }
}
