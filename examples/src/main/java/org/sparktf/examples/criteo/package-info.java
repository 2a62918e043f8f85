/**
 * Criteo click-through-rate prediction: generation of day files in Criteo's format, ETL,
 * exploration queries, a logistic regression or a factorization machine, and their evaluation.
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.criteo;
