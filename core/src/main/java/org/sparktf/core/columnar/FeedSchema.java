package org.sparktf.core.columnar;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which columns of a DataFrame are fed and how each maps to a tensor type. Validated on the driver,
 * before any data moves.
 */
public final class FeedSchema implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How one column travels: its tensor kind, and whether rows are scalars or 1-D. */
  enum Source {
    BOOLEAN,
    BYTE,
    SHORT,
    INT,
    LONG,
    FLOAT,
    DOUBLE,
    STRING,
    BINARY,
    INT_ARRAY,
    LONG_ARRAY,
    FLOAT_ARRAY,
    DOUBLE_ARRAY,
    VECTOR
  }

  final String[] names;
  final int[] ordinals;
  final Source[] sources;

  private FeedSchema(String[] names, int[] ordinals, Source[] sources) {
    this.names = names;
    this.ordinals = ordinals;
    this.sources = sources;
  }

  /** Feeds every column of {@code schema}. */
  public static FeedSchema of(StructType schema) {
    return of(schema, Arrays.asList(schema.fieldNames()));
  }

  /** Feeds the named columns of {@code schema}, in that order. */
  public static FeedSchema of(StructType schema, List<String> columns) {
    List<String> available = Arrays.asList(schema.fieldNames());
    String[] names = new String[columns.size()];
    int[] ordinals = new int[columns.size()];
    Source[] sources = new Source[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      String name = columns.get(i);
      int ordinal = available.indexOf(name);
      if (ordinal < 0) {
        throw new IllegalArgumentException(
            "Cannot feed column '"
                + name
                + "': no such column; available: "
                + String.join(", ", available));
      }
      StructField field = schema.fields()[ordinal];
      names[i] = name;
      ordinals[i] = ordinal;
      sources[i] = source(field);
    }
    return new FeedSchema(names, ordinals, sources);
  }

  public List<String> columns() {
    return new ArrayList<>(Arrays.asList(names));
  }

  private static Source source(StructField field) {
    DataType type = field.dataType();
    if (type.equals(DataTypes.BooleanType)) {
      return Source.BOOLEAN;
    } else if (type.equals(DataTypes.ByteType)) {
      return Source.BYTE;
    } else if (type.equals(DataTypes.ShortType)) {
      return Source.SHORT;
    } else if (type.equals(DataTypes.IntegerType)) {
      return Source.INT;
    } else if (type.equals(DataTypes.LongType)) {
      return Source.LONG;
    } else if (type.equals(DataTypes.FloatType)) {
      return Source.FLOAT;
    } else if (type.equals(DataTypes.DoubleType)) {
      return Source.DOUBLE;
    } else if (type.equals(DataTypes.StringType)) {
      return Source.STRING;
    } else if (type.equals(DataTypes.BinaryType)) {
      return Source.BINARY;
    } else if (type.equals(SQLDataTypes.VectorType())) {
      return Source.VECTOR;
    } else if (type instanceof ArrayType) {
      DataType element = ((ArrayType) type).elementType();
      if (element.equals(DataTypes.IntegerType)) {
        return Source.INT_ARRAY;
      } else if (element.equals(DataTypes.LongType)) {
        return Source.LONG_ARRAY;
      } else if (element.equals(DataTypes.FloatType)) {
        return Source.FLOAT_ARRAY;
      } else if (element.equals(DataTypes.DoubleType)) {
        return Source.DOUBLE_ARRAY;
      }
    }
    throw new IllegalArgumentException(
        "Cannot feed column '"
            + field.name()
            + "': type "
            + type.simpleString()
            + " is not supported; supported: numeric and boolean scalars, string, binary, arrays"
            + " of int, long, float or double, ML vectors");
  }
}
