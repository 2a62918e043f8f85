package org.sparktf.datasource.tfrecord.internal;

import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The broadcast of a scan's Hadoop configuration, reused by the next scan whose configuration has
 * the same properties in the same running SparkContext.
 *
 * <p>Why: every query used to serialize, compress and store the whole configuration (about a
 * thousand properties) as a new broadcast: about a fifth of the driver thread's CPU per query on a
 * 100k-record read (docs/benchmarks.md). Comparing the properties costs a fraction of that. Only
 * the last broadcast is kept: a changed setting (in the session, the SparkContext's Hadoop
 * configuration or the read's options) makes a new one, and the old one is released to Spark's
 * cleaner once no query holds it.
 */
public final class HadoopConfBroadcasts {
  private static WeakReference<SparkContext> lastContext = new WeakReference<>(null);
  private static Map<String, String> lastProperties;
  private static Broadcast<SerializableHadoopConf> last;

  private HadoopConfBroadcasts() {}

  /**
   * A broadcast holding {@code conf}'s properties: the previous one if its context and properties
   * are the same, else a new one. The caller must not change {@code conf} afterwards.
   */
  public static synchronized Broadcast<SerializableHadoopConf> of(
      SparkContext context, Configuration conf) {
    Map<String, String> properties = new HashMap<>();
    conf.forEach(e -> properties.put(e.getKey(), e.getValue()));
    if (last != null
        && lastContext.get() == context
        && !context.isStopped()
        && properties.equals(lastProperties)) {
      return last;
    }
    last = JavaSparkContext.fromSparkContext(context).broadcast(new SerializableHadoopConf(conf));
    lastContext = new WeakReference<>(context);
    lastProperties = properties;
    return last;
  }
}
