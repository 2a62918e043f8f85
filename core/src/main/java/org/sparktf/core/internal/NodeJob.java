package org.sparktf.core.internal;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The Spark job that starts the nodes: one barrier task per node, so Spark runs all of them at once
 * on distinct task slots (or fails fast when it cannot). Runs on its own driver thread; its failure
 * is reported to the coordinator, which wakes whoever waits.
 */
public final class NodeJob {
  private static final Logger LOG = LoggerFactory.getLogger(NodeJob.class);

  private final SparkContext sc;
  private final String jobTag;
  private final Thread thread;

  private NodeJob(SparkContext sc, String jobTag, Thread thread) {
    this.sc = sc;
    this.jobTag = jobTag;
    this.thread = thread;
  }

  public static NodeJob submit(SparkContext sc, NodeSpec template, Coordinator coordinator) {
    String jobTag = "sparktf-" + template.clusterId;
    int n = template.layout.numNodes();
    Thread thread =
        new Thread(
            () -> {
              try {
                // This thread inherited the caller's job properties. The node job lives as long as
                // the cluster, not one of the caller's jobs: it leaves their group (in this thread
                // only) and SparkTF cancels it by its own tag.
                sc.clearJobGroup();
                sc.clearJobTags();
                sc.addJobTag(jobTag);
                sc.setJobDescription("SparkTF TensorFlow nodes, cluster " + template.clusterId);
                sc.setInterruptOnCancel(true);
                List<Integer> indices = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                  indices.add(i);
                }
                JavaRDD<Integer> nodes =
                    JavaSparkContext.fromSparkContext(sc).parallelize(indices, n);
                RDD<Object> started =
                    nodes
                        .rdd()
                        .barrier()
                        .mapPartitions(new StartNode(template), false, ClassTag$.MODULE$.Object());
                started.count();
              } catch (RuntimeException e) {
                LOG.warn("The node job of cluster {} failed: {}", template.clusterId, e.toString());
                coordinator.fail("the Spark job that starts the nodes failed: " + rootMessage(e));
              } finally {
                sc.clearJobTags();
              }
            },
            "sparktf-node-job-" + template.clusterId);
    thread.setDaemon(true);
    thread.start();
    return new NodeJob(sc, jobTag, thread);
  }

  /** Cancels the job if it still runs and waits for its thread. */
  public void cancel() {
    if (thread.isAlive()) {
      sc.cancelJobsWithTag(jobTag);
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String rootMessage(Throwable t) {
    String message = t.getMessage();
    return message == null ? t.toString() : message;
  }

  /** One barrier task: starts the node of its partition index. */
  private static final class StartNode
      extends AbstractFunction1<Iterator<Integer>, Iterator<Object>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final NodeSpec template;

    StartNode(NodeSpec template) {
      this.template = template;
    }

    @Override
    public Iterator<Object> apply(Iterator<Integer> indices) {
      while (indices.hasNext()) {
        NodeLauncher.start(template, indices.next());
      }
      return scala.collection.JavaConverters.asScalaIterator(
          java.util.Collections.<Object>emptyIterator());
    }
  }
}
