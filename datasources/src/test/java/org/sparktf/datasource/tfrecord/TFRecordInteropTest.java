package org.sparktf.datasource.tfrecord;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.hadoop.io.TFRecordFileInputFormat;
import org.tensorflow.hadoop.io.TFRecordFileOutputFormat;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;
import scala.Tuple2;

/** Files move both ways between this source and the path users take today (tensorflow-hadoop). */
class TFRecordInteropTest extends SparkSessionTestBase {
  @TempDir Path tmp;

  @Test
  void tensorflowHadoopReadsWhatWeWrite() {
    String out = tmp.resolve("ours").toString();
    spark
        .range(20)
        .selectExpr("id", "array(CAST(id AS FLOAT), 0.5f) AS xs", "'t' AS tag")
        .write()
        .format("tfrecord")
        .save(out);

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Example> examples =
        jsc.newAPIHadoopFile(
                out,
                TFRecordFileInputFormat.class,
                BytesWritable.class,
                NullWritable.class,
                new Configuration())
            .map(kv -> Example.parseFrom(kv._1().copyBytes()))
            .collect();
    assertThat(examples).hasSize(20);
    Map<Long, Example> byId =
        examples.stream()
            .collect(
                Collectors.toMap(
                    e -> e.getFeatures().getFeatureMap().get("id").getInt64List().getValue(0),
                    e -> e));
    Map<String, Feature> seven = byId.get(7L).getFeatures().getFeatureMap();
    assertThat(seven.get("xs").getFloatList().getValueList()).containsExactly(7.0f, 0.5f);
    assertThat(seven.get("tag").getBytesList().getValue(0).toStringUtf8()).isEqualTo("t");
  }

  @Test
  void weReadWhatTensorflowHadoopWrites() {
    String out = tmp.resolve("theirs").toString();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaPairRDD<BytesWritable, NullWritable> records =
        jsc.parallelize(List.of(1L, 2L, 3L), 2)
            .mapToPair(
                i -> new Tuple2<>(new BytesWritable(example(i).toByteArray()), NullWritable.get()));
    records.saveAsNewAPIHadoopFile(
        out,
        BytesWritable.class,
        NullWritable.class,
        TFRecordFileOutputFormat.class,
        new Configuration());

    Dataset<Row> df = spark.read().format("tfrecord").load(out);
    assertThat(df.schema().simpleString())
        .isEqualTo("struct<label:bigint,name:string,pixels:array<float>>");
    assertThat(df.orderBy("label").collectAsList().toString())
        .isEqualTo(
            "[[1,n1,WrappedArray(1.0, 0.25)], [2,n2,WrappedArray(2.0, 0.25)],"
                + " [3,n3,WrappedArray(3.0, 0.25)]]");
  }

  private static Example example(long i) {
    Features features =
        Features.newBuilder()
            .putFeature(
                "label",
                Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(i)).build())
            .putFeature(
                "name",
                Feature.newBuilder()
                    .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFromUtf8("n" + i)))
                    .build())
            .putFeature(
                "pixels",
                Feature.newBuilder()
                    .setFloatList(FloatList.newBuilder().addValue(i).addValue(0.25f))
                    .build())
            .build();
    return Example.newBuilder().setFeatures(features).build();
  }
}
