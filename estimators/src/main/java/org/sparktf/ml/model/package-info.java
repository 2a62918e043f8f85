/**
 * Defining a model for {@link org.sparktf.ml.TFEstimator}: a {@link
 * org.sparktf.ml.model.ModelFunction} builds its graph with a {@link
 * org.sparktf.ml.model.ModelBuilder} and {@link org.sparktf.ml.model.Layers}, returning {@link
 * org.sparktf.ml.model.ModelOutputs}.
 *
 * <p><b>API</b>: the public types here are supported.
 */
package org.sparktf.ml.model;
