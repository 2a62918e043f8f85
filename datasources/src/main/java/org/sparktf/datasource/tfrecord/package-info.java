/**
 * Spark's {@code format("tfrecord")} data source: DataSource V2 reads, V1 {@code FileFormat} writes
 * and streaming, and its options ({@link org.sparktf.datasource.tfrecord.TFRecordOptions}).
 *
 * <p><b>API</b>: the public types here (the source classes that Spark instantiates, the options and
 * {@link org.sparktf.datasource.tfrecord.TFRecordType}) are supported; the option names are the
 * stable contract. Classes that Spark alone calls (scan, table, reader factories) are
 * package-private.
 */
package org.sparktf.datasource.tfrecord;
