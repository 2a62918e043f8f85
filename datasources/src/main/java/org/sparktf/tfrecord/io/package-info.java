/**
 * The TFRecord framing layer: frames (length, masked CRC32C, payload) read from and written to byte
 * streams, whole-stream compression, and the corrupt-record exception with file and offset. It
 * knows nothing of Spark or of protobuf payloads.
 *
 * <p><b>API, evolving</b>: used by the data source, the Hadoop formats, the node-side {@code
 * TFRecordBatches} and the TensorBoard event writer, and usable by applications that read or write
 * TFRecord streams themselves. Incompatible changes are named in the release notes.
 */
package org.sparktf.tfrecord.io;
