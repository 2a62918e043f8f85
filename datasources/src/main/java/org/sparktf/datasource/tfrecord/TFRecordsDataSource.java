package org.sparktf.datasource.tfrecord;

/**
 * The {@code tfrecords} alias of {@link TFRecordDataSource}, the name spark-tensorflow-connector
 * users already write.
 */
public final class TFRecordsDataSource extends TFRecordDataSource {
  @Override
  public String shortName() {
    return "tfrecords";
  }
}
