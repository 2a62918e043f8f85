/**
 * A small linear regression job reading and writing HDFS, used by the YARN tests.
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.regression;
