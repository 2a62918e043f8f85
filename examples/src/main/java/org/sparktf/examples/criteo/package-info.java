/**
 * Criteo click-through-rate prediction: generation of day files in Criteo's format, ETL,
 * exploration queries, logistic regression and its evaluation.
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.criteo;
