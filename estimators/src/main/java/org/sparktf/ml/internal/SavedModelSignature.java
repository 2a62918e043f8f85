package org.sparktf.ml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A SavedModel signature read straight from {@code saved_model.pb} through Hadoop's FileSystem, so
 * the driver learns input and output types without loading TensorFlow or the variables.
 */
public final class SavedModelSignature implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One signature tensor: its graph name, dtype and whether rows are scalars. */
  public static final class Tensor implements Serializable {
    private static final long serialVersionUID = 1L;
    public final String name;
    public final org.tensorflow.proto.DataType dtype;
    public final int rank;

    Tensor(String name, org.tensorflow.proto.DataType dtype, int rank) {
      this.name = name;
      this.dtype = dtype;
      this.rank = rank;
    }

    /** The Spark type of one row's value: scalars for rank-1 tensors, arrays above. */
    public DataType sparkType() {
      return SavedModelSignature.sparkType(name, dtype, rank);
    }
  }

  /** The Spark type of one row of a tensor of {@code dtype} and {@code rank} (batch first). */
  public static DataType sparkType(String name, org.tensorflow.proto.DataType dtype, int rank) {
    DataType element;
    switch (dtype) {
      case DT_FLOAT:
        element = DataTypes.FloatType;
        break;
      case DT_DOUBLE:
        element = DataTypes.DoubleType;
        break;
      case DT_INT32:
        element = DataTypes.IntegerType;
        break;
      case DT_INT64:
        element = DataTypes.LongType;
        break;
      case DT_BOOL:
        element = DataTypes.BooleanType;
        break;
      case DT_STRING:
        element = DataTypes.StringType;
        break;
      default:
        throw new IllegalArgumentException(
            "Invalid output tensor: "
                + name
                + " has type "
                + dtype
                + "; SparkTF maps float, double, int32, int64, bool and string");
    }
    return rank <= 1 ? element : DataTypes.createArrayType(element, false);
  }

  public final Map<String, Tensor> inputs;
  public final Map<String, Tensor> outputs;

  private SavedModelSignature(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** Reads signature {@code key} of the meta graph tagged {@code tags} in {@code exportDir}. */
  public static SavedModelSignature read(
      Configuration conf, String exportDir, String tags, String key) {
    Path file = new Path(exportDir, "saved_model.pb");
    SavedModel model;
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) {
        throw new IllegalArgumentException(
            "Invalid exportDir: "
                + exportDir
                + " holds no saved_model.pb; point it at a SavedModel directory");
      }
      try (InputStream in = fs.open(file)) {
        model = SavedModel.parseFrom(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
    }
    Set<String> wanted = new HashSet<>(Arrays.asList(tags.split(",")));
    for (MetaGraphDef graph : model.getMetaGraphsList()) {
      if (new HashSet<>(graph.getMetaInfoDef().getTagsList()).equals(wanted)) {
        SignatureDef signature = graph.getSignatureDefMap().get(key);
        if (signature == null) {
          throw new IllegalArgumentException(
              "Invalid signatureDefKey: "
                  + key
                  + "; the SavedModel has "
                  + graph.getSignatureDefMap().keySet());
        }
        return new SavedModelSignature(
            tensors(signature.getInputsMap()), tensors(signature.getOutputsMap()));
      }
    }
    throw new IllegalArgumentException(
        "Invalid tagSet: " + tags + "; the SavedModel has no meta graph with these tags");
  }

  private static Map<String, Tensor> tensors(Map<String, TensorInfo> infos) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    infos.forEach(
        (name, info) -> {
          TensorShapeProto shape = info.getTensorShape();
          int rank = shape.getUnknownRank() ? 1 : shape.getDimCount();
          tensors.put(name, new Tensor(info.getName(), info.getDtype(), rank));
        });
    return tensors;
  }
}
