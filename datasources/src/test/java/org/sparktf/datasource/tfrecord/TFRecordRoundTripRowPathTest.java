package org.sparktf.datasource.tfrecord;

/**
 * Every test of {@link TFRecordRoundTripTest} on the row path (decode to a generic row, then
 * project).
 */
class TFRecordRoundTripRowPathTest extends TFRecordRoundTripTest {
  @Override
  boolean directRows() {
    return false;
  }
}
