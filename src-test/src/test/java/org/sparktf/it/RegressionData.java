package org.sparktf.it;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** CSV training data for RegressionJob: y = 2·x1 − 3·x2 + 0.5·x3 + 1 + N(0, 0.1²). */
final class RegressionData {
  static final int ROWS = 2000;
  static final double NOISE = 0.1;
  private static final int FILES = 4;

  private RegressionData() {}

  /** Writes {@link #ROWS} rows in four files with a header each into {@code dir}. */
  static void write(FileSystem fs, Path dir, long seed) throws IOException {
    Random random = new Random(seed);
    for (int file = 0; file < FILES; file++) {
      try (Writer out =
          new OutputStreamWriter(
              fs.create(new Path(dir, "part-" + file + ".csv")), StandardCharsets.UTF_8)) {
        out.write("x1,x2,x3,y\n");
        for (int i = 0; i < ROWS / FILES; i++) {
          double x1 = random.nextGaussian();
          double x2 = random.nextGaussian();
          double x3 = random.nextGaussian();
          double y = 2 * x1 - 3 * x2 + 0.5 * x3 + 1 + NOISE * random.nextGaussian();
          out.write(x1 + "," + x2 + "," + x3 + "," + y + "\n");
        }
      }
    }
  }
}
