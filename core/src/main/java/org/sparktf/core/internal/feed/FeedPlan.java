package org.sparktf.core.internal.feed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import org.sparktf.core.columnar.FeedSchema;

/**
 * What a feeding task needs: the workers' feed endpoints, the cluster secret and the fed columns.
 * Shipped in the feeding job's closure.
 */
public final class FeedPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One worker's feed endpoint. */
  public static final class Target implements Serializable {
    private static final long serialVersionUID = 1L;
    final int node;
    final String name;
    final String host;
    final int port;

    public Target(int node, String name, String host, int port) {
      this.node = node;
      this.name = name;
      this.host = host;
      this.port = port;
    }
  }

  final String clusterId;
  final byte[] secret;
  final List<Target> workers;
  final FeedSchema schema;
  final long feedTimeoutMillis;

  /** Which feeding job (epoch or inference run) of the cluster this is. */
  final int feed;

  /**
   * Where partitions start: after a restart, the rows of a run that the restored checkpoint already
   * holds are skipped (after checking that they are the same rows). Empty for a fresh run.
   */
  final HashMap<Integer, FeedLedger.Resume> starts;

  /** A feeding job that feeds every partition from its start. */
  public FeedPlan(
      String clusterId,
      int feed,
      byte[] secret,
      List<Target> workers,
      FeedSchema schema,
      long feedTimeoutMillis) {
    this(clusterId, feed, secret, workers, schema, feedTimeoutMillis, FeedPosition.START, -1);
  }

  /**
   * A feeding job for training run {@code run}, resuming each partition where {@code from} says
   * training had got.
   */
  public FeedPlan(
      String clusterId,
      int feed,
      byte[] secret,
      List<Target> workers,
      FeedSchema schema,
      long feedTimeoutMillis,
      FeedPosition from,
      int run) {
    this.clusterId = clusterId;
    this.feed = feed;
    this.starts = new HashMap<>(from.starts(run));
    this.secret = secret.clone();
    this.workers = List.copyOf(workers);
    this.schema = schema;
    this.feedTimeoutMillis = feedTimeoutMillis;
  }

  /**
   * The worker a partition goes to: one on this executor when there is one (no network hop),
   * otherwise the workers in turn, so partitions spread evenly. A retried task may run on another
   * executor: it finds the worker of its earlier attempt by asking every worker.
   */
  Target pick(int partition, Set<Integer> localNodes) {
    List<Target> local = new ArrayList<>();
    for (Target worker : workers) {
      if (localNodes.contains(worker.node)) {
        local.add(worker);
      }
    }
    List<Target> candidates = local.isEmpty() ? workers : local;
    return candidates.get(Math.floorMod(partition, candidates.size()));
  }

  /** Where partition {@code partition} starts when no worker has taken any of it yet. */
  FeedLedger.Resume start(int partition) {
    return starts.getOrDefault(partition, FeedLedger.Resume.NONE);
  }

  public String clusterId() {
    return clusterId;
  }

  @Override
  public String toString() {
    return "FeedPlan{cluster=" + clusterId + ", feed=" + feed + ", workers=" + workers.size() + "}";
  }
}
