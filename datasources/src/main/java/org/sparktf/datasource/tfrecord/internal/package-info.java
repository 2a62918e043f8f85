/**
 * How the TFRecord data source works inside: the Example/SequenceExample wire codec, schema
 * inference, value conversion into Spark rows, and the source's error messages.
 *
 * <p><b>Private</b> to the datasources module: no other module may import it, and nothing here
 * carries a compatibility promise.
 */
package org.sparktf.datasource.tfrecord.internal;
