package org.sparktf.core;

/** {@link CheckpointConsistencyContract} on the local file system. */
class CheckpointConsistencyLocalTest extends CheckpointConsistencyContract {
  @Override
  String innerRoot() {
    return "file:///";
  }

  @Override
  String baseDir() {
    return localDir.resolve("models").toString();
  }

  @Override
  String authority() {
    return "local";
  }
}
