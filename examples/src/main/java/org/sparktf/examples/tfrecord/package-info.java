/**
 * A TFRecord round trip through the data source, checking every value.
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.tfrecord;
