package org.sparktf.ml.repl;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.repl.Main$;
import org.apache.spark.repl.SparkILoop;
import org.apache.spark.sql.SparkSession;

/**
 * Spark's own Scala REPL ({@code spark-shell}) in this JVM, fed code one request at a time as a
 * notebook paragraph or a typed line would be: its classes are generated on the driver, and its
 * executors load them from {@code spark.repl.class.uri}. A request is done when the REPL asks for
 * its next line. One REPL per test class: each start costs seconds.
 */
final class ScalaRepl implements AutoCloseable {
  private final StringWriter output = new StringWriter();
  private final Lines input = new Lines();
  private final Thread loop;
  private volatile Throwable failure;

  /** Starts the REPL and its SparkSession on {@code master}, with {@code conf} added. */
  ScalaRepl(String master, Map<String, String> conf, Duration timeout) {
    Main$.MODULE$.conf().set("spark.master", master);
    Main$.MODULE$.conf().set("spark.ui.enabled", "false");
    conf.forEach((k, v) -> Main$.MODULE$.conf().set(k, v));
    // Main keeps the last REPL's session: this REPL starts its own.
    Main$.MODULE$.sparkContext_$eq(null);
    Main$.MODULE$.sparkSession_$eq(null);
    String classpath = System.getProperty("java.class.path");
    SparkILoop iloop = new SparkILoop(input, new PrintWriter(output, true));
    loop =
        new Thread(
            () -> {
              try {
                Main$.MODULE$.doMain(new String[] {"-classpath", classpath}, iloop);
              } catch (Throwable t) {
                failure = t;
              } finally {
                input.ended();
              }
            },
            "scala-repl");
    loop.setDaemon(true);
    loop.start();
    try {
      input.awaitIdle(timeout);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  SparkSession spark() {
    return Main$.MODULE$.sparkSession();
  }

  /**
   * Interprets {@code code} (one request per line; end a line with {@code ;} and continue it to
   * keep statements in one request) and returns what the REPL printed meanwhile.
   */
  String run(String code, Duration timeout) {
    int start;
    synchronized (output) {
      start = output.getBuffer().length();
    }
    input.offer(code);
    input.awaitIdle(timeout);
    if (failure != null) {
      throw new IllegalStateException("The REPL failed", failure);
    }
    synchronized (output) {
      return output.getBuffer().substring(start);
    }
  }

  /** Like {@link #run}, but fails on a compile error or an exception in the output. */
  String eval(String code, Duration timeout) {
    String printed = run(code, timeout);
    if (printed.contains("error:") || printed.contains("Exception")) {
      throw new AssertionError("The REPL failed on:\n" + code + "\nIt printed:\n" + printed);
    }
    return printed;
  }

  /** The REPL's whole output so far (for failure messages). */
  String output() {
    synchronized (output) {
      return output.toString();
    }
  }

  @Override
  public void close() {
    input.offer(null);
    try {
      loop.join(TimeUnit.MINUTES.toMillis(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (Main$.MODULE$.sparkContext() != null) {
      Main$.MODULE$.sparkContext().stop();
    }
    Main$.MODULE$.sparkContext_$eq(null);
    Main$.MODULE$.sparkSession_$eq(null);
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** The REPL's input: lines handed over on request; waiting for one means the last is done. */
  private static final class Lines extends BufferedReader {
    private final Deque<String> lines = new ArrayDeque<>();
    private boolean eof;
    private boolean waiting;
    private boolean ended;

    Lines() {
      super(new StringReader(""));
    }

    @Override
    public synchronized String readLine() {
      while (lines.isEmpty() && !eof) {
        waiting = true;
        notifyAll();
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
      waiting = false;
      return lines.isEmpty() ? null : lines.poll();
    }

    synchronized void offer(String code) {
      if (code == null) {
        eof = true;
      } else {
        lines.addAll(java.util.List.of(code.split("\n", -1)));
      }
      waiting = false;
      notifyAll();
    }

    synchronized void ended() {
      ended = true;
      notifyAll();
    }

    synchronized void awaitIdle(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!(waiting && lines.isEmpty()) && !ended) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("The REPL did not finish within " + timeout);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while the REPL ran", e);
        }
      }
      if (ended && !eof) {
        throw new IllegalStateException("The REPL ended early");
      }
    }
  }
}
