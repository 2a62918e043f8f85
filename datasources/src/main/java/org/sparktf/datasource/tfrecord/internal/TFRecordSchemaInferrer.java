package org.sparktf.datasource.tfrecord.internal;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparktf.datasource.tfrecord.TFRecordType;

/**
 * Accumulates what the features of sampled records look like, one instance per file, merged on the
 * driver. A feature holding exactly one value in every record is a scalar, otherwise an array (0
 * values in one record and 1 in another is an array: a scalar is never written empty); bytes are
 * strings when every value seen is valid UTF-8, else binary; feature lists are
 * array&lt;array&lt;T&gt;&gt;; {@code c/indices}, {@code c/values}, {@code c/size} make an ML
 * vector {@code c}. Columns come out sorted by name. One feature with two kinds is an error.
 */
public final class TFRecordSchemaInferrer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TFRecordType type;
  private final TreeMap<String, FeatureStats> features = new TreeMap<>();
  private final TreeMap<String, FeatureStats> featureLists = new TreeMap<>();
  private transient WireReader reader;
  private transient FeatureValues values;

  public TFRecordSchemaInferrer(TFRecordType type) {
    this.type = type;
  }

  /** Records what one serialised record holds. */
  public void add(byte[] buf, int offset, int length, String fileName) {
    if (reader == null) {
      reader = new WireReader();
      values = new FeatureValues();
    }
    reader.reset(buf, offset, offset + length);
    while (reader.more()) {
      int tag = reader.varint32();
      boolean lists = tag == ((2 << 3) | 2) && type == TFRecordType.SEQUENCE_EXAMPLE;
      if (tag == ((1 << 3) | 2) || lists) {
        int end = reader.lengthDelimitedEnd();
        walkMap(end, lists ? featureLists : features, lists, fileName);
        reader.pos = end;
      } else {
        reader.skip(tag & 7);
      }
    }
  }

  private void walkMap(int end, Map<String, FeatureStats> stats, boolean lists, String file) {
    int[] entry = new int[4];
    reader.forEachMessage(
        1,
        end,
        (entryStart, entryEnd) -> {
          if (!reader.mapEntry(entryStart, entryEnd, entry)) {
            return;
          }
          String key = new String(reader.buf, entry[0], entry[1], StandardCharsets.UTF_8);
          FeatureStats s = stats.computeIfAbsent(key, k -> new FeatureStats());
          if (lists) {
            reader.pos = entry[2];
            reader.forEachMessage(
                1,
                entry[3],
                (featureStart, featureEnd) -> observe(s, key, featureStart, featureEnd, file));
          } else {
            observe(s, key, entry[2], entry[3], file);
          }
        });
  }

  private void observe(FeatureStats s, String key, int start, int end, String file) {
    values.parse(reader, start, end);
    s.observe(key, values, file);
  }

  /** Folds another file's observations into this one. */
  public TFRecordSchemaInferrer merge(TFRecordSchemaInferrer other) {
    mergeInto(features, other.features);
    mergeInto(featureLists, other.featureLists);
    return this;
  }

  private static void mergeInto(Map<String, FeatureStats> mine, Map<String, FeatureStats> theirs) {
    theirs.forEach(
        (name, stats) -> {
          FeatureStats existing = mine.get(name);
          if (existing == null) {
            mine.put(name, stats);
          } else {
            existing.merge(name, stats);
          }
        });
  }

  /** The inferred schema, columns sorted by name, all nullable. */
  public StructType toSchema() {
    TreeMap<String, DataType> columns = new TreeMap<>();
    features.forEach((name, s) -> columns.put(name, s.scalarOrArray()));
    featureLists.forEach(
        (name, s) -> {
          if (columns.containsKey(name)) {
            throw new IllegalArgumentException(
                String.format(
                    "Cannot infer schema: '%s' is both a context feature and a feature list;"
                        + " pass an explicit schema with .schema(...)",
                    name));
          }
          DataType element = s.kind == null ? DataTypes.NullType : s.elementType();
          columns.put(
              name,
              s.kind == null
                  ? DataTypes.NullType
                  : DataTypes.createArrayType(DataTypes.createArrayType(element, false), false));
        });
    foldVectors(columns);
    StructType schema = new StructType();
    for (Map.Entry<String, DataType> c : columns.entrySet()) {
      schema = schema.add(c.getKey(), c.getValue(), true);
    }
    return schema;
  }

  /** {@code c/indices}, {@code c/values} and {@code c/size} are one sparse-capable vector c. */
  private void foldVectors(TreeMap<String, DataType> columns) {
    for (String name : features.keySet()) {
      if (!name.endsWith("/indices")) {
        continue;
      }
      String base = name.substring(0, name.length() - "/indices".length());
      if (kindOf(name) == FeatureKind.INT64
          && kindOf(base + "/values") == FeatureKind.FLOAT
          && kindOf(base + "/size") == FeatureKind.INT64
          && (!features.containsKey(base) || kindOf(base) == FeatureKind.FLOAT)) {
        columns.remove(name);
        columns.remove(base + "/values");
        columns.remove(base + "/size");
        columns.put(base, SQLDataTypes.VectorType());
      }
    }
  }

  private FeatureKind kindOf(String feature) {
    FeatureStats s = features.get(feature);
    return s == null ? null : s.kind;
  }

  /** What one feature looked like across the records seen. */
  private static final class FeatureStats implements Serializable {
    private static final long serialVersionUID = 1L;
    FeatureKind kind;
    String kindFile;
    boolean notSingle;
    boolean allUtf8 = true;

    void observe(String name, FeatureValues v, String file) {
      if (v.kind != null) {
        setKind(name, v.kind, file);
      }
      notSingle |= v.count != 1;
      if (v.kind == FeatureKind.BYTES) {
        for (int i = 0; i < v.count && allUtf8; i++) {
          allUtf8 = Utf8.isValid(v.buf, v.offsets[i], v.lengths[i]);
        }
      }
    }

    void merge(String name, FeatureStats other) {
      if (other.kind != null) {
        setKind(name, other.kind, other.kindFile);
      }
      notSingle |= other.notSingle;
      allUtf8 &= other.allUtf8;
    }

    private void setKind(String name, FeatureKind seen, String file) {
      if (kind == null) {
        kind = seen;
        kindFile = file;
      } else if (kind != seen) {
        throw TFRecordErrors.inferenceConflict(
            name, kind.protoName, kindFile, seen.protoName, file);
      }
    }

    DataType elementType() {
      switch (kind) {
        case INT64:
          return DataTypes.LongType;
        case FLOAT:
          return DataTypes.FloatType;
        default:
          return allUtf8 ? DataTypes.StringType : DataTypes.BinaryType;
      }
    }

    DataType scalarOrArray() {
      if (kind == null) {
        return DataTypes.NullType;
      }
      return notSingle ? DataTypes.createArrayType(elementType(), false) : elementType();
    }
  }
}
