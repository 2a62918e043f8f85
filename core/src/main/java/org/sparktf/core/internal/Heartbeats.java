package org.sparktf.core.internal;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The liveness protocol on a control channel, after a node joined its cluster. Both ends send a
 * {@code heartbeat} message every quarter of the liveness timeout, and each end takes silence past
 * the timeout as the other end's loss: TCP alone never reports a frozen process, a powered-off host
 * or a partition. The driver answers a node it declared lost with {@code superseded} before it
 * closes the channel, so that the node, should it wake up, exits instead of working on.
 */
final class Heartbeats {
  static final String HEARTBEAT = "heartbeat";
  static final String SUPERSEDED = "superseded";

  /** The first message of an executor's channel that supervises one node process. */
  static final String SUPERVISE = "supervise";

  private Heartbeats() {}

  /** How often each end sends a heartbeat: four chances to be heard within the timeout. */
  static long intervalMillis(long timeoutMillis) {
    return Math.max(25, timeoutMillis / 4);
  }

  /**
   * Starts a daemon thread that sends a heartbeat on {@code channel} every interval until it is
   * interrupted; {@code onFailure} runs once if a send fails (the channel is gone).
   */
  static Thread start(
      ControlChannel channel, long timeoutMillis, String name, Consumer<IOException> onFailure) {
    long interval = intervalMillis(timeoutMillis);
    Thread sender =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  channel.send(ControlChannel.message(HEARTBEAT));
                  Thread.sleep(interval);
                }
              } catch (IOException e) {
                onFailure.accept(e);
              } catch (InterruptedException e) {
                // Asked to stop.
              }
            },
            name);
    sender.setDaemon(true);
    sender.start();
    return sender;
  }
}
