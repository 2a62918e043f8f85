package org.sparktf.ml.internal;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparktf.ml.model.ModelFunction;

/**
 * The estimator's settings, as the nodes need them: an immutable value, made with {@link
 * #builder()}, that travels to the nodes Java-serialized (a record is deserialized through its
 * constructor, so the checks below hold on the nodes too).
 *
 * @param inputMapping fed column -> model input name, in feeding order
 * @param inputRanks model input name -> 1 for scalar columns, 2 for arrays and vectors
 * @param classLabel whether the label is integral (fed as int64 class ids) rather than float
 * @param nodeWaitTimeout how long a worker waits for the others: to begin, at each synchronous
 *     step, and for the chief to finish
 * @param tfrecordDir InputMode.TENSORFLOW: the TFRecord directory the workers read; null when Spark
 *     feeds the rows
 * @param columnWidths InputMode.TENSORFLOW: fed column -> values per row (1 for scalars)
 * @param integralColumns InputMode.TENSORFLOW: the columns stored as int64_list
 */
public record NodeConfig(
    ModelFunction model,
    Map<String, String> inputMapping,
    Map<String, Integer> inputRanks,
    String labelCol,
    boolean classLabel,
    int batchSize,
    long steps,
    int epochs,
    String optimizer,
    int tableShards,
    float learningRate,
    boolean syncReplicas,
    long checkpointInterval,
    int checkpointsToKeep,
    int summarySteps,
    Duration nodeWaitTimeout,
    long seed,
    boolean tensorboard,
    String exportDir,
    String signatureDefKey,
    List<String> tags,
    String tfrecordDir,
    Map<String, Integer> columnWidths,
    Set<String> integralColumns)
    implements Serializable {
  public NodeConfig {
    require(model, "model");
    require(inputMapping, "inputMapping");
    require(inputRanks, "inputRanks");
    require(labelCol, "labelCol");
    require(optimizer, "optimizer");
    require(nodeWaitTimeout, "nodeWaitTimeout");
    require(exportDir, "exportDir");
    require(signatureDefKey, "signatureDefKey");
    require(tags, "tags");
    // Unmodifiable copies that keep the order: the inputs are fed in inputMapping's order.
    inputMapping = Collections.unmodifiableMap(new LinkedHashMap<>(inputMapping));
    inputRanks = Collections.unmodifiableMap(new LinkedHashMap<>(inputRanks));
    tags = List.copyOf(tags);
    columnWidths =
        columnWidths == null
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(columnWidths));
    integralColumns = integralColumns == null ? Set.of() : Set.copyOf(integralColumns);
  }

  private static void require(Object value, String name) {
    if (value == null) {
      throw new IllegalArgumentException("Invalid estimator config: " + name + " is not set");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects a NodeConfig's values by name; {@link #build()} checks them. */
  public static final class Builder {
    private ModelFunction model;
    private Map<String, String> inputMapping;
    private Map<String, Integer> inputRanks;
    private String labelCol;
    private boolean classLabel;
    private int batchSize;
    private long steps;
    private int epochs;
    private String optimizer;
    private int tableShards;
    private float learningRate;
    private boolean syncReplicas;
    private long checkpointInterval;
    private int checkpointsToKeep;
    private int summarySteps;
    private Duration nodeWaitTimeout;
    private long seed;
    private boolean tensorboard;
    private String exportDir;
    private String signatureDefKey;
    private List<String> tags;
    private String tfrecordDir;
    private Map<String, Integer> columnWidths;
    private Set<String> integralColumns;

    private Builder() {}

    public Builder model(ModelFunction value) {
      model = value;
      return this;
    }

    public Builder inputMapping(Map<String, String> value) {
      inputMapping = value;
      return this;
    }

    public Builder inputRanks(Map<String, Integer> value) {
      inputRanks = value;
      return this;
    }

    public Builder labelCol(String value) {
      labelCol = value;
      return this;
    }

    public Builder classLabel(boolean value) {
      classLabel = value;
      return this;
    }

    public Builder batchSize(int value) {
      batchSize = value;
      return this;
    }

    public Builder steps(long value) {
      steps = value;
      return this;
    }

    public Builder epochs(int value) {
      epochs = value;
      return this;
    }

    public Builder optimizer(String value) {
      optimizer = value;
      return this;
    }

    public Builder tableShards(int value) {
      tableShards = value;
      return this;
    }

    public Builder learningRate(float value) {
      learningRate = value;
      return this;
    }

    public Builder syncReplicas(boolean value) {
      syncReplicas = value;
      return this;
    }

    public Builder checkpointInterval(long value) {
      checkpointInterval = value;
      return this;
    }

    public Builder checkpointsToKeep(int value) {
      checkpointsToKeep = value;
      return this;
    }

    public Builder summarySteps(int value) {
      summarySteps = value;
      return this;
    }

    public Builder nodeWaitTimeout(Duration value) {
      nodeWaitTimeout = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public Builder tensorboard(boolean value) {
      tensorboard = value;
      return this;
    }

    public Builder exportDir(String value) {
      exportDir = value;
      return this;
    }

    public Builder signatureDefKey(String value) {
      signatureDefKey = value;
      return this;
    }

    public Builder tags(List<String> value) {
      tags = value;
      return this;
    }

    public Builder tfrecordDir(String value) {
      tfrecordDir = value;
      return this;
    }

    public Builder columnWidths(Map<String, Integer> value) {
      columnWidths = value;
      return this;
    }

    public Builder integralColumns(Set<String> value) {
      integralColumns = value;
      return this;
    }

    public NodeConfig build() {
      return new NodeConfig(
          model,
          inputMapping,
          inputRanks,
          labelCol,
          classLabel,
          batchSize,
          steps,
          epochs,
          optimizer,
          tableShards,
          learningRate,
          syncReplicas,
          checkpointInterval,
          checkpointsToKeep,
          summarySteps,
          nodeWaitTimeout,
          seed,
          tensorboard,
          exportDir,
          signatureDefKey,
          tags,
          tfrecordDir,
          columnWidths,
          integralColumns);
    }
  }
}
