/**
 * Benchmarks of SparkTF against its contenders (TFRecord reads and writes, cluster feeding, batch
 * inference); run through {@code bench/run} and reported in {@code docs/benchmarks.md}.
 *
 * <p><b>Private</b> to the bench module: an application, not API; no compatibility promise.
 */
package org.sparktf.bench;
