package org.sparktf.core;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the training of a {@link TFCluster} is: a snapshot the driver assembles from its own
 * feeding jobs and from the steps the workers report ({@link NodeContext#reportStep}). {@link
 * TFCluster#progress()} returns the latest; a {@link ProgressListener} receives one at every
 * progress interval, at the end of every epoch of {@link TFCluster#train} and when the workers
 * finished. Immutable.
 */
public final class TrainingProgress {
  /** Why a listener received this snapshot. */
  public enum Event {
    /** The progress interval passed while training ran. */
    PERIODIC,
    /** An epoch of {@link TFCluster#train} was fed completely; {@link #epochRows()} is exact. */
    EPOCH_END,
    /** Every worker finished ({@link TFCluster#shutdown()}); the profile is final. */
    FINISHED
  }

  private final String clusterId;
  private final Event event;
  private final int epoch;
  private final int epochs;
  private final long epochRows;
  private final long rowsFed;
  private final long rowsTotal;
  private final long globalStep;
  private final double loss;
  private final double examplesPerSecond;
  private final Duration eta;
  private final List<Worker> workers;

  TrainingProgress(
      String clusterId,
      Event event,
      int epoch,
      int epochs,
      long epochRows,
      long rowsFed,
      long rowsTotal,
      long globalStep,
      double loss,
      double examplesPerSecond,
      Duration eta,
      List<Worker> workers) {
    this.clusterId = clusterId;
    this.event = event;
    this.epoch = epoch;
    this.epochs = epochs;
    this.epochRows = epochRows;
    this.rowsFed = rowsFed;
    this.rowsTotal = rowsTotal;
    this.globalStep = globalStep;
    this.loss = loss;
    this.examplesPerSecond = examplesPerSecond;
    this.eta = eta;
    this.workers = List.copyOf(workers);
  }

  /** The id of the cluster (of its latest generation). */
  public String clusterId() {
    return clusterId;
  }

  /** Why this snapshot was taken. */
  public Event event() {
    return event;
  }

  /** The epoch of the running (or last) {@link TFCluster#train}, from 1; 0 outside train. */
  public int epoch() {
    return epoch;
  }

  /** The epochs of the running (or last) {@link TFCluster#train}; 0 outside train. */
  public int epochs() {
    return epochs;
  }

  /**
   * The rows fed in the current epoch: exact at {@link Event#EPOCH_END} (counted by the feeding
   * tasks), otherwise the rows the workers have trained on so far in this epoch.
   */
  public long epochRows() {
    return epochRows;
  }

  /**
   * The rows (examples) trained on: in InputMode.SPARK those of the running (or last) {@link
   * TFCluster#train}, in InputMode.TENSORFLOW those every worker reported since the cluster
   * started.
   */
  public long rowsFed() {
    return rowsFed;
  }

  /**
   * All rows {@link TFCluster#train} feeds (rows of one epoch times the epochs), known once its
   * first epoch ended; -1 when not known.
   */
  public long rowsTotal() {
    return rowsTotal;
  }

  /** The highest global step any worker reported; -1 before the first report. */
  public long globalStep() {
    return globalStep;
  }

  /** The loss of the most recent step reported by any worker; NaN when none is known. */
  public double loss() {
    return loss;
  }

  /** Examples trained per second by all workers, over the last 30 seconds. */
  public double examplesPerSecond() {
    return examplesPerSecond;
  }

  /**
   * The estimated time left: from the rows left when {@link #rowsTotal()} is known, else from the
   * global steps left when the workers reported a step limit; empty otherwise.
   */
  public Optional<Duration> eta() {
    return Optional.ofNullable(eta);
  }

  /** The workers of the cluster's running generation that reported, by task index. */
  public List<Worker> workers() {
    return workers;
  }

  /** One line, as the driver logs it. */
  @Override
  public String toString() {
    StringBuilder line = new StringBuilder("SparkTF cluster ").append(clusterId).append(':');
    if (epochs > 0) {
      line.append(" epoch ").append(epoch).append('/').append(epochs).append(',');
    }
    line.append(" rows ").append(rowsFed);
    if (rowsTotal >= 0) {
      line.append('/').append(rowsTotal);
    }
    line.append(", global step ").append(globalStep);
    if (!Double.isNaN(loss)) {
      line.append(", loss ").append(String.format(Locale.ROOT, "%.4g", loss));
    }
    line.append(String.format(Locale.ROOT, ", %.1f examples/s", examplesPerSecond));
    if (eta != null) {
      long s = eta.toSeconds();
      line.append(String.format(Locale.ROOT, ", ETA %d:%02d:%02d", s / 3600, s / 60 % 60, s % 60));
    }
    return line.toString();
  }

  /**
   * The per-step profile of every worker, a few lines: steps, examples/s, compute and data-wait
   * milliseconds per step, and TensorFlow gRPC bytes sent and received per step (variables from and
   * gradients to the parameter servers) and feed bytes received per step.
   */
  public String profileReport() {
    StringBuilder report =
        new StringBuilder("SparkTF cluster ")
            .append(clusterId)
            .append(" profile at global step ")
            .append(globalStep)
            .append(" (per step, means):");
    if (workers.isEmpty()) {
      report.append("\n  no worker reported a step");
    }
    for (Worker w : workers) {
      report.append(
          String.format(
              Locale.ROOT,
              "\n  worker %d: %d steps, %d examples, compute %.2f ms, data wait %.2f ms",
              w.task,
              w.steps,
              w.examples,
              w.computeMillisPerStep(),
              w.dataWaitMillisPerStep()));
      if (w.grpcBytesSent >= 0) {
        report.append(
            String.format(
                Locale.ROOT,
                ", gRPC sent %.0f B, received %.0f B",
                w.perStep(w.grpcBytesSent),
                w.perStep(w.grpcBytesReceived)));
      } else {
        report.append(", gRPC bytes not measured (").append(w.bytesUnavailable).append(')');
      }
      report.append(
          String.format(Locale.ROOT, ", feed received %.0f B", w.perStep(w.feedBytesReceived)));
    }
    return report.toString();
  }

  /** What one worker reported, summed over its steps since its node started. */
  public static final class Worker {
    private final int task;
    private final long globalStep;
    private final double loss;
    private final long steps;
    private final long examples;
    private final long computeNanos;
    private final long dataWaitNanos;
    private final long grpcBytesSent;
    private final long grpcBytesReceived;
    private final long feedBytesReceived;
    private final String bytesUnavailable;
    private final int feedQueueDepth;
    private final double secondsSinceHeartbeat;

    Worker(
        int task,
        long globalStep,
        double loss,
        long steps,
        long examples,
        long computeNanos,
        long dataWaitNanos,
        long grpcBytesSent,
        long grpcBytesReceived,
        long feedBytesReceived,
        String bytesUnavailable,
        int feedQueueDepth,
        double secondsSinceHeartbeat) {
      this.task = task;
      this.globalStep = globalStep;
      this.loss = loss;
      this.steps = steps;
      this.examples = examples;
      this.computeNanos = computeNanos;
      this.dataWaitNanos = dataWaitNanos;
      this.grpcBytesSent = grpcBytesSent;
      this.grpcBytesReceived = grpcBytesReceived;
      this.feedBytesReceived = feedBytesReceived;
      this.bytesUnavailable = bytesUnavailable;
      this.feedQueueDepth = feedQueueDepth;
      this.secondsSinceHeartbeat = secondsSinceHeartbeat;
    }

    /** The worker's task index (worker 0 is the chief). */
    public int task() {
      return task;
    }

    /** The global step after the worker's latest step. */
    public long globalStep() {
      return globalStep;
    }

    /** The loss of the worker's latest step; NaN when not known. */
    public double loss() {
      return loss;
    }

    /** The steps this worker ran. */
    public long steps() {
      return steps;
    }

    /** The examples (rows) this worker trained on. */
    public long examples() {
      return examples;
    }

    /** Mean time per step in the session run (compute and parameter-server communication). */
    public double computeMillisPerStep() {
      return steps == 0 ? 0 : computeNanos / 1e6 / steps;
    }

    /** Mean time per step getting the batch (waiting for the feed, reading, parsing). */
    public double dataWaitMillisPerStep() {
      return steps == 0 ? 0 : dataWaitNanos / 1e6 / steps;
    }

    /** TensorFlow gRPC bytes this worker's process sent (gradients, mostly); -1 if not measured. */
    public long grpcBytesSent() {
      return grpcBytesSent;
    }

    /** TensorFlow gRPC bytes this worker's process received (variables); -1 if not measured. */
    public long grpcBytesReceived() {
      return grpcBytesReceived;
    }

    /**
     * Bytes of rows (encoded frames) the worker's feed endpoint received from Spark's feeding
     * tasks; 0 in InputMode.TENSORFLOW.
     */
    public long feedBytesReceived() {
      return feedBytesReceived;
    }

    /** Why bytes are not measured, or empty when they are. */
    public Optional<String> bytesUnavailable() {
      return Optional.ofNullable(bytesUnavailable);
    }

    /** Frames queued in the worker's feed at its latest report (InputMode.SPARK; else 0). */
    public int feedQueueDepth() {
      return feedQueueDepth;
    }

    /** Seconds since the driver last heard from the worker's process; -1 once it left. */
    public double secondsSinceHeartbeat() {
      return secondsSinceHeartbeat;
    }

    private double perStep(long bytes) {
      return steps == 0 || bytes < 0 ? 0 : (double) bytes / steps;
    }
  }
}
