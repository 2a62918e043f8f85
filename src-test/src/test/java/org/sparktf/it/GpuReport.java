package org.sparktf.it;

import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.sparktf.core.NodeContext;
import org.sparktf.core.NodeFunction;

/**
 * A node function that writes, to {@code <modelDir>/gpus-<job>-<task>}, the GPUs its node's own
 * process is given: {@code CUDA_VISIBLE_DEVICES} of its environment and {@link NodeContext#gpus()}.
 */
final class GpuReport implements NodeFunction {
  private static final long serialVersionUID = 1L;

  @Override
  public void run(NodeContext context) throws Exception {
    String report =
        "CUDA_VISIBLE_DEVICES="
            + System.getenv("CUDA_VISIBLE_DEVICES")
            + "\ngpus="
            + String.join(",", context.gpus())
            + "\n";
    Path file =
        new Path(context.modelDir(), "gpus-" + context.jobName() + "-" + context.taskIndex());
    try (FSDataOutputStream out = file.getFileSystem(context.hadoopConf()).create(file, true)) {
      out.write(report.getBytes(StandardCharsets.UTF_8));
    }
  }
}
