/**
 * The cluster runtime: {@link org.sparktf.core.TFCluster} runs TensorFlow nodes on Spark executors,
 * feeds them DataFrames or lets them read TFRecords; node functions use {@link
 * org.sparktf.core.NodeContext}, {@link org.sparktf.core.ReplicatedTraining} and {@link
 * org.sparktf.core.TrainingLoop} (with a {@link org.sparktf.core.BatchSource}), which drives {@link
 * org.sparktf.core.Checkpoints} and {@link org.sparktf.core.SavedModels}.
 *
 * <p><b>API</b>: public types here are the supported surface of the core module. Within 0.x, an
 * incompatible change is named in the release notes; nothing is removed without a deprecation
 * first.
 */
package org.sparktf.core;
