package org.sparktf.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link CheckpointConsistencyContract} on HDFS: a MiniDFSCluster with one DataNode. */
class CheckpointConsistencyHdfsTest extends CheckpointConsistencyContract {
  private static MiniDFSCluster dfs;

  @BeforeAll
  static void startHdfs(@TempDir Path base) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
    dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    dfs.waitActive();
  }

  @AfterAll
  static void stopHdfs() {
    dfs.shutdown();
  }

  @Override
  Configuration conf() {
    Configuration conf = super.conf();
    conf.setInt("dfs.replication", 1); // one DataNode
    return conf;
  }

  /** Crashes only: an IOException takes the same paths on every file system (the local test). */
  @Override
  Set<FaultyFileSystem.Fault> faults() {
    return EnumSet.of(FaultyFileSystem.Fault.CRASH_BEFORE, FaultyFileSystem.Fault.CRASH_AFTER);
  }

  @Override
  String innerRoot() {
    return dfs.getURI().toString() + "/";
  }

  @Override
  String baseDir() {
    return "/models";
  }

  @Override
  String authority() {
    return "hdfs";
  }
}
