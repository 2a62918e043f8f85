package org.sparktf.core;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.JobDef;

/** The TensorFlow cluster: for each job name ("ps", "worker", "evaluator"), its task addresses. */
public final class ClusterSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, List<String>> jobs;

  /**
   * @param jobs job name to "host:port" of each task, in task-index order
   */
  public ClusterSpec(Map<String, List<String>> jobs) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    jobs.forEach(
        (job, tasks) -> copy.put(job, Collections.unmodifiableList(new ArrayList<>(tasks))));
    this.jobs = Collections.unmodifiableMap(copy);
  }

  /** Job names to task addresses, in task-index order. */
  public Map<String, List<String>> jobs() {
    return jobs;
  }

  /** The number of tasks of a job; 0 when the job does not exist. */
  public int numTasks(String job) {
    return jobs.getOrDefault(job, List.of()).size();
  }

  /** The "host:port" of one task. */
  public String address(String job, int taskIndex) {
    List<String> tasks = jobs.get(job);
    if (tasks == null || taskIndex < 0 || taskIndex >= tasks.size()) {
      throw new IllegalArgumentException("Invalid task: /job:" + job + "/task:" + taskIndex);
    }
    return tasks.get(taskIndex);
  }

  /** This spec as TensorFlow's ClusterDef proto. */
  public ClusterDef toClusterDef() {
    ClusterDef.Builder cluster = ClusterDef.newBuilder();
    jobs.forEach(
        (job, tasks) -> {
          JobDef.Builder def = JobDef.newBuilder().setName(job);
          for (int i = 0; i < tasks.size(); i++) {
            def.putTasks(i, tasks.get(i));
          }
          cluster.addJob(def);
        });
    return cluster.build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterSpec && ((ClusterSpec) o).jobs.equals(jobs);
  }

  @Override
  public int hashCode() {
    return jobs.hashCode();
  }

  @Override
  public String toString() {
    return jobs.toString();
  }
}
