package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

/** Real signals to real processes, through kill(1), for fault tests. */
public final class Signals {
  private Signals() {}

  /** Sends {@code signal} ("STOP", "CONT", "KILL") to each process; fails unless kill succeeds. */
  public static void send(String signal, long... pids) throws Exception {
    for (long pid : pids) {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS))
          .as("kill -%s %d finished", signal, pid)
          .isTrue();
      assertThat(kill.exitValue()).as("kill -%s %d", signal, pid).isZero();
    }
  }
}
