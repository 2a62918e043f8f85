package org.sparktf.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparktf.core.internal.ClusterLayout;
import org.sparktf.core.internal.Coordinator;

/**
 * The driver side of a cluster's progress: folds the workers' step reports (over the control
 * channel) and the feeding jobs' row counts into {@link TrainingProgress} snapshots, logs one every
 * progress interval while training runs, and hands them to the listeners and to {@link
 * SparkTFMetricsPlugin}.
 */
final class ProgressTracker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressTracker.class);
  private static final long RATE_WINDOW_NANOS = 30_000_000_000L;

  private final ClusterLayout layout;
  private final Duration interval;
  private final List<ProgressListener> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService ticker;
  // Held while a snapshot is taken and delivered: listeners see them in order.
  private final Object delivery = new Object();

  // Guarded by this.
  private String clusterId;
  private Coordinator coordinator;
  private final Map<Integer, JsonNode> reports = new TreeMap<>(); // By node index.
  private long carriedExamples; // Of earlier generations.
  private long globalStep = -1;
  private double loss = Double.NaN;
  private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {nanos, examples, step}
  private long lastReportNanos;
  private boolean training;
  private boolean finished; // The workers finished: nothing more to log.
  private int epoch;
  private int epochs;
  private long epochStartExamples;
  private long completedRows;
  private long rowsPerEpoch = -1;

  /**
   * @param interval how often to log and tell the listeners while training runs; zero: never
   */
  ProgressTracker(ClusterLayout layout, Duration interval, String clusterId) {
    this.layout = layout;
    this.interval = interval;
    this.clusterId = clusterId;
    if (interval.isZero()) {
      ticker = null;
    } else {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "sparktf-progress-" + clusterId);
                t.setDaemon(true);
                return t;
              });
      executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      long millis = interval.toMillis();
      executor.scheduleAtFixedRate(this::tick, millis, millis, TimeUnit.MILLISECONDS);
      ticker = executor;
    }
  }

  void addListener(ProgressListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("Invalid progress listener: null");
    }
    listeners.add(listener);
  }

  void removeListener(ProgressListener listener) {
    listeners.remove(listener);
  }

  /** A new generation of nodes: reports from then on come from its coordinator. */
  synchronized void generation(String id, Coordinator next) {
    carriedExamples = examples();
    reports.clear();
    clusterId = id;
    coordinator = next;
    next.onProgress((index, message) -> report(next, index, message));
  }

  /** A worker's totals (see the node's StepReporter). */
  private void report(Coordinator from, int index, JsonNode message) {
    TrainingProgress snapshot;
    synchronized (this) {
      if (from != coordinator || !ClusterLayout.WORKER.equals(layout.job(index))) {
        return;
      }
      reports.put(index, message);
      globalStep = Math.max(globalStep, message.path("globalStep").asLong(-1));
      if (message.has("loss")) {
        loss = message.path("loss").asDouble();
      }
      long now = System.nanoTime();
      lastReportNanos = now;
      samples.addLast(new long[] {now, examples(), globalStep});
      while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_NANOS) {
        samples.removeFirst();
      }
      snapshot = snapshot(TrainingProgress.Event.PERIODIC);
    }
    SparkTFMetricsPlugin.publish(snapshot);
  }

  synchronized void beginTrain(int epochs) {
    this.training = true;
    this.epochs = epochs;
    this.epoch = 0;
    this.completedRows = 0;
    this.rowsPerEpoch = -1;
  }

  synchronized void beginEpoch(int epoch) {
    this.epoch = epoch;
    this.epochStartExamples = examples();
  }

  /** An epoch was fed completely: {@code rows} counted by the feeding tasks. */
  void endEpoch(long rows) {
    synchronized (delivery) {
      TrainingProgress snapshot;
      synchronized (this) {
        completedRows += rows;
        rowsPerEpoch = rows;
        snapshot = snapshot(TrainingProgress.Event.EPOCH_END, rows);
      }
      deliver(snapshot, false);
    }
  }

  synchronized void endTrain() {
    training = false;
  }

  /** The workers finished: the final snapshot, its profile report logged. */
  TrainingProgress finish() {
    synchronized (delivery) {
      TrainingProgress snapshot;
      synchronized (this) {
        training = false;
        finished = true;
        snapshot = snapshot(TrainingProgress.Event.FINISHED);
      }
      LOG.info("{}", snapshot.profileReport());
      deliver(snapshot, true);
      return snapshot;
    }
  }

  synchronized TrainingProgress latest() {
    return snapshot(TrainingProgress.Event.PERIODIC);
  }

  /** Stops the periodic log; the snapshots stay readable. */
  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
      try {
        ticker.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void tick() {
    synchronized (delivery) {
      TrainingProgress snapshot;
      synchronized (this) {
        boolean recent =
            lastReportNanos > 0 && System.nanoTime() - lastReportNanos < 2 * interval.toNanos();
        if (finished || (!training && !recent)) {
          return;
        }
        snapshot = snapshot(TrainingProgress.Event.PERIODIC);
      }
      deliver(snapshot, true);
    }
  }

  private void deliver(TrainingProgress snapshot, boolean log) {
    if (log && ticker != null) {
      LOG.info("{}", snapshot);
    }
    SparkTFMetricsPlugin.publish(snapshot);
    for (ProgressListener listener : listeners) {
      try {
        listener.onProgress(snapshot);
      } catch (RuntimeException e) {
        LOG.warn("A progress listener failed; ignoring it: {}", e.toString(), e);
      }
    }
  }

  private long examples() {
    long sum = carriedExamples;
    for (JsonNode report : reports.values()) {
      sum += report.path("examples").asLong();
    }
    return sum;
  }

  private TrainingProgress snapshot(TrainingProgress.Event event) {
    long live = examples() - epochStartExamples;
    if (rowsPerEpoch >= 0) {
      live = Math.min(live, rowsPerEpoch);
    }
    return snapshot(event, training ? live : 0);
  }

  private TrainingProgress snapshot(TrainingProgress.Event event, long epochRows) {
    double examplesPerSecond = 0;
    double stepsPerSecond = 0;
    if (samples.size() >= 2) {
      long[] first = samples.peekFirst();
      long[] last = samples.peekLast();
      double seconds = (last[0] - first[0]) / 1e9;
      if (seconds > 0) {
        examplesPerSecond = (last[1] - first[1]) / seconds;
        stepsPerSecond = (last[2] - first[2]) / seconds;
      }
    }
    long rowsFed;
    long rowsTotal = -1;
    if (epochs > 0) {
      rowsFed =
          event == TrainingProgress.Event.EPOCH_END || !training
              ? completedRows
              : completedRows + epochRows;
      if (rowsPerEpoch >= 0) {
        rowsTotal = rowsPerEpoch * epochs;
      }
    } else {
      rowsFed = examples();
    }
    Duration eta = null;
    long target = 0;
    List<TrainingProgress.Worker> workers = new ArrayList<>();
    for (Map.Entry<Integer, JsonNode> entry : reports.entrySet()) {
      JsonNode r = entry.getValue();
      target = Math.max(target, r.path("targetStep").asLong());
      boolean measured = r.has("grpcBytesSent");
      workers.add(
          new TrainingProgress.Worker(
              layout.taskIndex(entry.getKey()),
              r.path("globalStep").asLong(-1),
              r.has("loss") ? r.path("loss").asDouble() : Double.NaN,
              r.path("steps").asLong(),
              r.path("examples").asLong(),
              r.path("computeNanos").asLong(),
              r.path("dataWaitNanos").asLong(),
              measured ? r.path("grpcBytesSent").asLong() : -1,
              measured ? r.path("grpcBytesReceived").asLong() : -1,
              r.path("feedBytesReceived").asLong(),
              measured ? null : r.path("bytesUnavailable").asText("not reported yet"),
              r.path("queueDepth").asInt(),
              coordinator == null ? -1 : coordinator.secondsSinceHeard(entry.getKey())));
    }
    if (training && rowsTotal >= 0 && examplesPerSecond > 0) {
      eta = seconds(Math.max(0, rowsTotal - rowsFed) / examplesPerSecond);
    } else if (target > 0 && stepsPerSecond > 0 && event != TrainingProgress.Event.FINISHED) {
      eta = seconds(Math.max(0, target - globalStep) / stepsPerSecond);
    }
    return new TrainingProgress(
        clusterId,
        event,
        epoch,
        epochs,
        epochRows,
        rowsFed,
        rowsTotal,
        globalStep,
        loss,
        examplesPerSecond,
        eta,
        workers);
  }

  private static Duration seconds(double seconds) {
    return Duration.ofMillis((long) (seconds * 1000));
  }
}
