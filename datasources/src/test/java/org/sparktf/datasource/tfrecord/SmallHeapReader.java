package org.sparktf.datasource.tfrecord;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.TFRecordOptions.Mode;
import org.sparktf.datasource.tfrecord.internal.TFRecordRowReader;
import org.sparktf.tfrecord.io.TFRecordCorruptException;

/**
 * Run by {@link HostileTFRecordTest} in a child JVM with a small heap: reads each file given with
 * the data source's row reader in every mode and prints one line per read, so that the test sees
 * the outcome, or the OutOfMemoryError that a buffer of the declared length would give.
 */
public final class SmallHeapReader {
  private SmallHeapReader() {}

  public static void main(String[] args) throws Exception {
    Configuration conf = new Configuration();
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("payload", DataTypes.StringType)
            .add("_corrupt_record", DataTypes.StringType);
    for (String file : args) {
      Path path = new Path(new java.io.File(file).toURI());
      for (Mode mode : Mode.values()) {
        TFRecordOptions options =
            new TFRecordOptions(Map.of(TFRecordOptions.MODE, mode.name()), "_corrupt_record");
        int rows = 0;
        String outcome = "";
        try (TFRecordRowReader reader =
            new TFRecordRowReader(conf, path, 0, Long.MAX_VALUE, schema, options)) {
          while (reader.next()) {
            rows++;
          }
        } catch (TFRecordCorruptException e) {
          outcome = " error=" + e.kind() + " offset=" + e.offset();
        }
        System.out.println(path.getName() + " " + mode + " rows=" + rows + outcome);
      }
    }
  }
}
