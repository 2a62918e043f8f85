package org.sparktf.ml.model;

import java.io.Serializable;

/**
 * A trainable model defined in Java: given the graph builder, return the loss and the named
 * outputs. Called once for the training graph (variables on the parameter servers) and once for the
 * serving graph (no devices, no label), so it must create the same variables, by name, both times.
 * Serialized to the TensorFlow nodes: capture only serializable state.
 */
@FunctionalInterface
public interface ModelFunction extends Serializable {
  ModelOutputs build(ModelBuilder model);
}
