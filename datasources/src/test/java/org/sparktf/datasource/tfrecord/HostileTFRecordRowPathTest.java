package org.sparktf.datasource.tfrecord;

/**
 * Every test of {@link HostileTFRecordTest} on the row path (decode to a generic row, then
 * project).
 */
class HostileTFRecordRowPathTest extends HostileTFRecordTest {
  @Override
  boolean directRows() {
    return false;
  }
}
