package org.sparktf.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Session;

/**
 * The context of a lone chief worker without parameter servers or model directory, in this JVM:
 * enough for graph-level tests of {@link ReplicatedTraining} in a local session.
 */
final class LocalNodeContext implements NodeContext {
  @Override
  public String jobName() {
    return "worker";
  }

  @Override
  public int taskIndex() {
    return 0;
  }

  @Override
  public String executorId() {
    return "local";
  }

  @Override
  public long generation() {
    return 0;
  }

  @Override
  public ClusterSpec clusterSpec() {
    throw new UnsupportedOperationException("Cannot give a cluster spec: this is a local context");
  }

  @Override
  public int numWorkers() {
    return 1;
  }

  @Override
  public int numPs() {
    return 0;
  }

  @Override
  public boolean isChief() {
    return true;
  }

  @Override
  public InputMode inputMode() {
    return InputMode.TENSORFLOW;
  }

  @Override
  public DataFeed dataFeed() {
    throw new UnsupportedOperationException("Cannot feed: this is a local context");
  }

  @Override
  public String target() {
    return "";
  }

  @Override
  public Session session(Graph graph) {
    return new Session(graph);
  }

  @Override
  public void awaitVariables(Session session, Duration timeout) {
    throw new UnsupportedOperationException("Cannot wait for a chief: this context is the chief");
  }

  @Override
  public DeviceSpec psDevice(int psTask) {
    throw new IllegalArgumentException("Invalid PS task: " + psTask + "; there are none");
  }

  @Override
  public DeviceSpec variableDevice(int n) {
    return localDevice();
  }

  @Override
  public DeviceSpec localDevice() {
    return DeviceSpec.newBuilder().build();
  }

  @Override
  public List<String> gpus() {
    return List.of();
  }

  @Override
  public String modelDir() {
    return null;
  }

  @Override
  public Path localDir() {
    throw new UnsupportedOperationException("Cannot give a local dir: this is a local context");
  }

  @Override
  public SummaryWriter summaryWriter() {
    throw new UnsupportedOperationException("Cannot write summaries: this is a local context");
  }

  @Override
  public Configuration hadoopConf() {
    return new Configuration(false);
  }
}
