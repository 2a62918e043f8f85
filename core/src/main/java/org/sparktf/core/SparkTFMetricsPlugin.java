package org.sparktf.core;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Publishes SparkTF's training progress through Spark's metrics system, so every configured sink
 * (JMX, Prometheus, CSV, Graphite, ...) shows it. Enable it with {@code
 * spark.plugins=org.sparktf.core.SparkTFMetricsPlugin}; the metrics are then in the driver's source
 * {@code plugin.org.sparktf.core.SparkTFMetricsPlugin}:
 *
 * <ul>
 *   <li>{@code globalStep}, {@code loss}, {@code examplesPerSecond}, {@code rowsFed}, {@code
 *       epoch}: of the cluster that reported last (see {@link TrainingProgress});
 *   <li>per worker task {@code N} (registered when it first reports): {@code worker.N.globalStep},
 *       {@code worker.N.feedQueueDepth}, {@code worker.N.secondsSinceHeartbeat}, {@code
 *       worker.N.computeMillisPerStep}, {@code worker.N.dataWaitMillisPerStep}, {@code
 *       worker.N.grpcBytesSent}, {@code worker.N.grpcBytesReceived}.
 * </ul>
 *
 * <p>The values stay at the last ones reported after training ended. See docs/observability.md.
 */
public final class SparkTFMetricsPlugin implements SparkPlugin {
  private static final Object LOCK = new Object();
  // The latest snapshot of any cluster of this driver, and the registry of the running plugin.
  private static volatile TrainingProgress latest;
  private static MetricRegistry registry; // Guarded by LOCK.
  private static final Set<Integer> registeredWorkers = new HashSet<>(); // Guarded by LOCK.

  @Override
  public DriverPlugin driverPlugin() {
    return new DriverPlugin() {
      @Override
      public Map<String, String> init(SparkContext sc, PluginContext ctx) {
        return Collections.emptyMap();
      }

      @Override
      public void registerMetrics(String appId, PluginContext ctx) {
        MetricRegistry metrics = ctx.metricRegistry();
        gauge(metrics, "globalStep", p -> p.globalStep());
        gauge(metrics, "loss", p -> p.loss());
        gauge(metrics, "examplesPerSecond", p -> p.examplesPerSecond());
        gauge(metrics, "rowsFed", p -> p.rowsFed());
        gauge(metrics, "epoch", p -> p.epoch());
        synchronized (LOCK) {
          registry = metrics;
          registeredWorkers.clear();
        }
        TrainingProgress now = latest;
        if (now != null) {
          registerWorkers(now);
        }
      }

      @Override
      public void shutdown() {
        synchronized (LOCK) {
          registry = null;
          registeredWorkers.clear();
        }
      }
    };
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return null; // Everything is measured on the driver.
  }

  /** Makes {@code progress} what the gauges show. */
  static void publish(TrainingProgress progress) {
    latest = progress;
    registerWorkers(progress);
  }

  private static void registerWorkers(TrainingProgress progress) {
    synchronized (LOCK) {
      if (registry == null) {
        return;
      }
      for (TrainingProgress.Worker w : progress.workers()) {
        if (registeredWorkers.add(w.task())) {
          String prefix = "worker." + w.task() + ".";
          int task = w.task();
          workerGauge(prefix + "globalStep", task, TrainingProgress.Worker::globalStep);
          workerGauge(prefix + "feedQueueDepth", task, TrainingProgress.Worker::feedQueueDepth);
          workerGauge(
              prefix + "secondsSinceHeartbeat",
              task,
              TrainingProgress.Worker::secondsSinceHeartbeat);
          workerGauge(
              prefix + "computeMillisPerStep", task, TrainingProgress.Worker::computeMillisPerStep);
          workerGauge(
              prefix + "dataWaitMillisPerStep",
              task,
              TrainingProgress.Worker::dataWaitMillisPerStep);
          workerGauge(prefix + "grpcBytesSent", task, TrainingProgress.Worker::grpcBytesSent);
          workerGauge(
              prefix + "grpcBytesReceived", task, TrainingProgress.Worker::grpcBytesReceived);
        }
      }
    }
  }

  private static void gauge(
      MetricRegistry metrics, String name, ToDoubleFunction<TrainingProgress> value) {
    metrics.register(
        name,
        (Gauge<Double>)
            () -> {
              TrainingProgress now = latest;
              return now == null ? Double.NaN : value.applyAsDouble(now);
            });
  }

  private static void workerGauge(
      String name, int task, ToDoubleFunction<TrainingProgress.Worker> value) {
    registry.register(
        name,
        (Gauge<Double>)
            () -> {
              TrainingProgress now = latest;
              if (now != null) {
                for (TrainingProgress.Worker w : now.workers()) {
                  if (w.task() == task) {
                    return value.applyAsDouble(w);
                  }
                }
              }
              return Double.NaN;
            });
  }
}
