package org.sparktf.core.internal;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** The node processes this executor JVM supervises, by cluster and node index. */
final class NodeRegistry {
  private static final Map<String, Map<Integer, NodeProcess>> NODES = new ConcurrentHashMap<>();

  private NodeRegistry() {}

  static void add(String clusterId, int index, NodeProcess node) {
    NODES.computeIfAbsent(clusterId, id -> new ConcurrentHashMap<>()).put(index, node);
  }

  static void remove(String clusterId, int index) {
    NODES.computeIfPresent(
        clusterId,
        (id, nodes) -> {
          nodes.remove(index);
          return nodes.isEmpty() ? null : nodes;
        });
  }

  /** Indices of this cluster's live nodes in this JVM. */
  static Set<Integer> local(String clusterId) {
    return new TreeSet<>(NODES.getOrDefault(clusterId, Map.of()).keySet());
  }
}
