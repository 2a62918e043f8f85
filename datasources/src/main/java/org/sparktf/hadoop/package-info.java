/**
 * Hadoop {@code InputFormat}/{@code OutputFormat} for TFRecord files, for RDD and MapReduce users:
 * splittable, compressed or not, byte-identical to TensorFlow's writer.
 *
 * <p><b>API</b>: the public classes here are supported.
 */
package org.sparktf.hadoop;
