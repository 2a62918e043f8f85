package org.sparktf.ml.internal;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import scala.collection.Seq;

/**
 * InputMode.TENSORFLOW on the driver: writes the columns a TFEstimator trains on as
 * tf.train.Example TFRecords, one file per worker, and records in the node config what the workers'
 * parser needs to know about them (values per row, which columns are integral).
 */
public final class RecordStaging {
  private RecordStaging() {}

  /**
   * Writes {@code selected} to {@code dir} (which must not exist) in {@code workers} files and sets
   * the config's tfrecordDir, columnWidths (for the {@code fed} columns) and integralColumns.
   */
  public static void stage(
      Dataset<Row> selected, String dir, int workers, Set<String> fed, NodeConfig.Builder config) {
    Directories.requireAbsent(
        dir,
        selected.sparkSession().sparkContext().hadoopConfiguration(),
        "tfrecordDir",
        "choose a new directory with setTfrecordDir(...) or a new modelDir");
    Map<String, Integer> widths = widths(selected, fed);
    selected
        .select(denseColumns(selected))
        .repartition(Math.max(1, workers))
        .write()
        .format("tfrecord")
        .option("recordType", "Example")
        .save(dir);
    Set<String> integral = new HashSet<>();
    for (StructField field : selected.schema().fields()) {
      if (integral(field.dataType())) {
        integral.add(field.name());
      }
    }
    config.tfrecordDir(dir).columnWidths(widths).integralColumns(integral);
  }

  /** Vectors as float arrays, so every record holds dense float_list features. */
  private static Column[] denseColumns(Dataset<Row> selected) {
    return Arrays.stream(selected.schema().fields())
        .map(
            f ->
                f.dataType() instanceof VectorUDT
                    ? functions.vector_to_array(selected.col(f.name()), "float32").as(f.name())
                    : selected.col(f.name()))
        .toArray(Column[]::new);
  }

  /** Values per row of each fed column, from the first row (1 for scalars). */
  private static Map<String, Integer> widths(Dataset<Row> selected, Set<String> fed) {
    Map<String, Integer> widths = new LinkedHashMap<>();
    List<Row> first = selected.limit(1).collectAsList();
    if (first.isEmpty()) {
      throw new IllegalArgumentException("Cannot fit: the training DataFrame has no rows");
    }
    Row row = first.get(0);
    for (String column : fed) {
      Object value = row.get(row.fieldIndex(column));
      if (value instanceof Vector) {
        widths.put(column, ((Vector) value).size());
      } else if (value instanceof Seq) {
        widths.put(column, ((Seq<?>) value).size());
      } else {
        widths.put(column, 1);
      }
    }
    return widths;
  }

  /** Whether a column (or an array column's elements) is stored as int64_list. */
  private static boolean integral(DataType type) {
    DataType element = type instanceof ArrayType ? ((ArrayType) type).elementType() : type;
    return element.equals(DataTypes.BooleanType) || ModelSchemas.isIntegral(element);
  }
}
