/**
 * How the ML stages work inside: the node function a TFEstimator's cluster runs, SavedModel
 * signature reading and caching on executors, and Example parsing for TENSORFLOW input mode.
 *
 * <p><b>Private</b> to the estimators module: no other module may import it, and nothing here
 * carries a compatibility promise.
 */
package org.sparktf.ml.internal;
