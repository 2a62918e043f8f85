package org.sparktf.ml.internal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.sparktf.ml.model.ModelBuilder;
import org.sparktf.ml.model.ModelFunction;
import org.sparktf.ml.model.ModelOutputs;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** How a TFEstimator's columns meet its model function's tensors, worked out on the driver. */
public final class ModelSchemas {
  private ModelSchemas() {}

  /**
   * The output columns the fitted model will append, typed by building the serving graph on the
   * driver (no session, no data): this also checks the model function and the output mapping before
   * any cluster starts.
   */
  public static StructType outputSchema(
      ModelFunction model,
      StructType schema,
      Map<String, String> inputMapping,
      Map<String, String> outputMapping,
      long seed) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Map<String, Operand<TFloat32>> inputs = new LinkedHashMap<>();
      inputMapping.forEach(
          (column, input) ->
              inputs.put(
                  input,
                  tf.withName(input)
                      .placeholder(
                          TFloat32.class,
                          Placeholder.shape(
                              rank(schema.apply(column).dataType()) == 1
                                  ? Shape.of(-1)
                                  : Shape.of(-1, -1)))));
      ModelOutputs outputs =
          model.build(new ModelBuilder(tf, tf, inputs, null, i -> null, false, seed));
      StructType out = new StructType();
      for (Map.Entry<String, String> entry : outputMapping.entrySet()) {
        Operand<?> output = outputs.outputs().get(entry.getKey());
        if (output == null) {
          throw new IllegalArgumentException(
              "Invalid outputMapping: "
                  + entry.getKey()
                  + " -> "
                  + entry.getValue()
                  + "; the model's outputs are "
                  + outputs.outputs().keySet());
        }
        if (Arrays.asList(schema.fieldNames()).contains(entry.getValue())) {
          throw new IllegalArgumentException(
              "Invalid outputMapping: output column " + entry.getValue() + " already exists");
        }
        int rank = output.shape().isUnknown() ? 1 : output.shape().numDimensions();
        out =
            out.add(
                entry.getValue(),
                SavedModelSignature.sparkType(entry.getKey(), output.asOutput().dataType(), rank),
                false);
      }
      return out;
    }
  }

  /** Refuses a missing or non-numeric {@code column}, the value of Param {@code param}. */
  public static void requireNumeric(StructType schema, String param, String column) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(
          "Invalid "
              + param
              + ": no column '"
              + column
              + "'; available: "
              + String.join(", ", schema.fieldNames()));
    }
    if (!(schema.apply(column).dataType() instanceof NumericType)) {
      throw new IllegalArgumentException(
          "Invalid "
              + param
              + ": '"
              + column
              + "' is "
              + schema.apply(column).dataType().simpleString()
              + "; it must be numeric");
    }
  }

  /** The rank of a batch of a column: 1 for scalars, 2 for arrays and vectors. */
  public static int rank(DataType type) {
    return type instanceof ArrayType || type instanceof VectorUDT ? 2 : 1;
  }

  /** Whether values of {@code type} are whole numbers (int, long, short, byte). */
  public static boolean isIntegral(DataType type) {
    return type.equals(DataTypes.IntegerType)
        || type.equals(DataTypes.LongType)
        || type.equals(DataTypes.ShortType)
        || type.equals(DataTypes.ByteType);
  }
}
