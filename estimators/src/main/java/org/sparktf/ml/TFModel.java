package org.sparktf.ml;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparktf.core.columnar.FeedSchema;
import org.sparktf.ml.internal.SavedModelCache;
import org.sparktf.ml.internal.SavedModelSignature;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.DataType;
import scala.Option;

/**
 * Batch inference with any TensorFlow SavedModel as a Spark ML Transformer: keeps every input
 * column and appends the signature's outputs, typed from the signature. Each executor JVM loads the
 * SavedModel once and shares it between its task threads.
 *
 * <pre>{@code
 * TFModel model = new TFModel()
 *     .setExportDir("hdfs:///models/mnist/export/1200")
 *     .setInputMapping(Map.of("image", "image"))
 *     .setOutputMapping(Map.of("probabilities", "probabilities", "class", "prediction"));
 * Dataset<Row> scored = model.transform(images);
 * }</pre>
 */
public class TFModel extends Model<TFModel> implements TFModelParams, MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final SharedParams shared;

  public TFModel() {
    this("TFModel_" + UUID.randomUUID().toString().substring(0, 12));
  }

  public TFModel(String uid) {
    this.uid = uid;
    this.shared = new SharedParams(this);
    setDefault(signatureDefKey(), SharedParams.DEFAULT_SIGNATURE_DEF_KEY);
    setDefault(tagSet(), SharedParams.DEFAULT_TAG_SET);
    setDefault(batchSize(), SharedParams.DEFAULT_BATCH_SIZE);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Param<String> exportDir() {
    return shared.exportDir;
  }

  @Override
  public Param<String> signatureDefKey() {
    return shared.signatureDefKey;
  }

  @Override
  public Param<String> tagSet() {
    return shared.tagSet;
  }

  @Override
  public MappingParam inputMapping() {
    return shared.inputMapping;
  }

  @Override
  public MappingParam outputMapping() {
    return shared.outputMapping;
  }

  @Override
  public IntParam batchSize() {
    return shared.batchSize;
  }

  public TFModel setExportDir(String value) {
    set(exportDir(), value);
    return this;
  }

  public TFModel setSignatureDefKey(String value) {
    set(signatureDefKey(), value);
    return this;
  }

  public TFModel setTagSet(String value) {
    set(tagSet(), value);
    return this;
  }

  public TFModel setInputMapping(Map<String, String> value) {
    set(inputMapping(), new LinkedHashMap<>(value));
    return this;
  }

  /** {@link #setInputMapping(Map)} for Scala: {@code setInputMapping(Map("col" -> "input"))}. */
  public TFModel setInputMapping(scala.collection.Map<String, String> value) {
    return setInputMapping(MappingParam.fromScala(value));
  }

  /** {@link #setOutputMapping(Map)} for Scala: {@code setOutputMapping(Map("output" -> "col"))}. */
  public TFModel setOutputMapping(scala.collection.Map<String, String> value) {
    return setOutputMapping(MappingParam.fromScala(value));
  }

  public TFModel setOutputMapping(Map<String, String> value) {
    set(outputMapping(), new LinkedHashMap<>(value));
    return this;
  }

  public TFModel setBatchSize(int value) {
    set(batchSize(), value);
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return plan(schema, SparkSession.active().sparkContext().hadoopConfiguration()).outputSchema;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    SparkSession spark = dataset.sparkSession();
    Plan plan = plan(dataset.schema(), spark.sparkContext().hadoopConfiguration());
    Map<String, String> conf = new HashMap<>();
    spark.sparkContext().hadoopConfiguration().forEach(e -> conf.put(e.getKey(), e.getValue()));
    // Internal rows end to end: the input columns are never converted to Java objects and back.
    JavaRDD<InternalRow> rows =
        dataset
            .toDF()
            .queryExecution()
            .toRdd()
            .toJavaRDD()
            .mapPartitions(new ScorePartition(plan, conf));
    return spark.internalCreateDataFrame(rows.rdd(), plan.outputSchema, false);
  }

  @Override
  public TFModel copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<TFModel> read() {
    return new Reader();
  }

  public static TFModel load(String path) {
    return read().load(path);
  }

  /** What transform needs, checked on the driver before any task starts. */
  static final class Plan implements Serializable {
    private static final long serialVersionUID = 1L;
    StructType inputSchema;
    StructType outputSchema;
    FeedSchema feed;
    String exportDir;
    String tags;
    String key;
    int batchSize;
    List<String> columns; // fed columns, in order
    List<String> inputs; // their signature inputs
    List<DataType> inputTypes;
    List<String> outputs; // signature outputs, in output-column order
  }

  private Plan plan(StructType schema, Configuration conf) {
    if (!isDefined(exportDir())) {
      throw new IllegalArgumentException(
          "Invalid TFModel: exportDir is not set; call setExportDir(...)");
    }
    if (!isDefined(inputMapping()) || getInputMapping().isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid TFModel: inputMapping is not set; call setInputMapping(column -> input)");
    }
    if (!isDefined(outputMapping()) || getOutputMapping().isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid TFModel: outputMapping is not set; call setOutputMapping(output -> column)");
    }
    SavedModelSignature signature =
        SavedModelSignature.read(conf, getExportDir(), getTagSet(), getSignatureDefKey());
    Plan plan = new Plan();
    plan.inputSchema = schema;
    plan.exportDir = getExportDir();
    plan.tags = getTagSet();
    plan.key = getSignatureDefKey();
    plan.batchSize = getBatchSize();
    plan.columns = new ArrayList<>(getInputMapping().keySet());
    plan.inputs = new ArrayList<>();
    plan.inputTypes = new ArrayList<>();
    for (String column : plan.columns) {
      String input = getInputMapping().get(column);
      SavedModelSignature.Tensor tensor = signature.inputs.get(input);
      if (tensor == null) {
        throw new IllegalArgumentException(
            "Invalid inputMapping: "
                + column
                + " -> "
                + input
                + "; the signature's inputs are "
                + signature.inputs.keySet());
      }
      plan.inputs.add(input);
      plan.inputTypes.add(tensor.dtype);
    }
    // Checks that every mapped column exists and has a type that can be fed.
    plan.feed = FeedSchema.of(schema, plan.columns);
    StructType output = schema;
    plan.outputs = new ArrayList<>();
    List<String> existing = Arrays.asList(schema.fieldNames());
    for (Map.Entry<String, String> entry : getOutputMapping().entrySet()) {
      SavedModelSignature.Tensor tensor = signature.outputs.get(entry.getKey());
      if (tensor == null) {
        throw new IllegalArgumentException(
            "Invalid outputMapping: "
                + entry.getKey()
                + " -> "
                + entry.getValue()
                + "; the signature's outputs are "
                + signature.outputs.keySet());
      }
      if (existing.contains(entry.getValue())) {
        throw new IllegalArgumentException(
            "Invalid outputMapping: output column " + entry.getValue() + " already exists");
      }
      plan.outputs.add(entry.getKey());
      output =
          output.add(
              new StructField(entry.getValue(), tensor.sparkType(), false, Metadata.empty()));
    }
    plan.outputSchema = output;
    return plan;
  }

  /** Scores one partition batch by batch with the executor's shared SavedModel. */
  private static final class ScorePartition
      implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;
    private final Plan plan;
    private final Map<String, String> conf;

    ScorePartition(Plan plan, Map<String, String> conf) {
      this.plan = plan;
      this.conf = conf;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> input) {
      // The bundle is loaded once per JVM; the signature's function is looked up once per
      // partition.
      SavedModelBundle bundle =
          SavedModelCache.get(
              () -> {
                // Only when this JVM loads the model: building a Configuration parses XML.
                Configuration hadoop = new Configuration();
                conf.forEach(hadoop::set);
                return hadoop;
              },
              plan.exportDir,
              plan.tags);
      return new PartitionScorer(plan, bundle.function(plan.key), input);
    }
  }

  /** Saves the Params and a copy of the SavedModel under {@code path/data/savedmodel}. */
  private static final class Writer extends MLWriter {
    private final TFModel model;

    Writer(TFModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sc(), Option.empty(), Option.empty());
      Configuration conf = sc().hadoopConfiguration();
      Path source = new Path(model.getExportDir());
      Path target = new Path(path, "data/savedmodel");
      try {
        FileSystem from = source.getFileSystem(conf);
        FileSystem to = target.getFileSystem(conf);
        if (!FileUtil.copy(from, source, to, target, false, conf)) {
          throw new IOException("the copy reported failure");
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot save the SavedModel " + source + " to " + target + ": " + e.getMessage(), e);
      }
    }
  }

  /** Loads a saved TFModel; its exportDir points at the SavedModel copy it was saved with. */
  private static final class Reader extends MLReader<TFModel> {
    @Override
    public TFModel load(String path) {
      DefaultParamsReader.Metadata metadata =
          DefaultParamsReader.loadMetadata(path, sc(), TFModel.class.getName());
      TFModel model = new TFModel(metadata.uid());
      metadata.getAndSetParams(model, Option.empty());
      return model.setExportDir(new Path(path, "data/savedmodel").toString());
    }
  }
}
