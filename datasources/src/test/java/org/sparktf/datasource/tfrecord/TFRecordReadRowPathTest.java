package org.sparktf.datasource.tfrecord;

/**
 * Every test of {@link TFRecordReadTest} on the row path (decode to a generic row, then project).
 */
class TFRecordReadRowPathTest extends TFRecordReadTest {
  @Override
  boolean directRows() {
    return false;
  }
}
