package org.sparktf.ml.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/** What a {@link ModelFunction} returns: the loss (training only) and the named outputs. */
public final class ModelOutputs {
  private final Operand<TFloat32> loss;
  private final Map<String, Operand<?>> outputs;

  private ModelOutputs(Operand<TFloat32> loss, Map<String, Operand<?>> outputs) {
    this.loss = loss;
    this.outputs = outputs;
  }

  /**
   * @param loss the scalar training loss; may be null in the serving graph
   * @param outputs output name to tensor, first dimension the batch (predictions, probabilities)
   */
  public static ModelOutputs of(Operand<TFloat32> loss, Map<String, Operand<?>> outputs) {
    if (outputs == null || outputs.isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid model outputs: at least one named output is needed");
    }
    return new ModelOutputs(loss, new LinkedHashMap<>(outputs));
  }

  public Operand<TFloat32> loss() {
    return loss;
  }

  public Map<String, Operand<?>> outputs() {
    return outputs;
  }
}
