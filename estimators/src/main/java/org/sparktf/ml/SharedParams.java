package org.sparktf.ml;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import scala.Function1;

/**
 * The Params that {@link TFEstimator} and {@link TFModel} share, made in one place so each has one
 * doc, one validator and one default; each stage holds one instance made for itself (a Param
 * belongs to one parent) and sets the defaults declared here.
 */
final class SharedParams implements Serializable {
  private static final long serialVersionUID = 1L;

  static final String DEFAULT_SIGNATURE_DEF_KEY = "serving_default";
  static final String DEFAULT_TAG_SET = "serve";
  static final int DEFAULT_BATCH_SIZE = 128;

  final Param<String> exportDir;
  final Param<String> signatureDefKey;
  final Param<String> tagSet;
  final MappingParam inputMapping;
  final MappingParam outputMapping;
  final IntParam batchSize;

  SharedParams(Params parent) {
    exportDir =
        new Param<>(
            parent,
            "exportDir",
            "The SavedModel directory, a Hadoop FileSystem URI: TFEstimator exports to it (it must"
                + " not exist yet), TFModel loads it. Default: none (required).",
            nonEmpty());
    signatureDefKey =
        new Param<>(
            parent,
            "signatureDefKey",
            "The signature TFEstimator exports and TFModel runs. Default: \""
                + DEFAULT_SIGNATURE_DEF_KEY
                + "\".",
            nonEmpty());
    tagSet =
        new Param<>(
            parent,
            "tagSet",
            "The tags of the SavedModel's meta graph, comma-separated without spaces: TFEstimator"
                + " exports with them, TFModel loads the meta graph with exactly this set. Default:"
                + " \""
                + DEFAULT_TAG_SET
                + "\".",
            (Function1<String, Object>) SharedParams::validTagSet);
    inputMapping =
        new MappingParam(
            parent,
            "inputMapping",
            "Input column to model input (signature input) name. Default: none (required).");
    outputMapping =
        new MappingParam(
            parent,
            "outputMapping",
            "Model output (signature output) name to output column. Default: none (required).");
    batchSize =
        new IntParam(
            parent,
            "batchSize",
            "Rows per training step (TFEstimator) and per session run (TFModel). Default: "
                + DEFAULT_BATCH_SIZE
                + ".",
            ParamValidators.gtEq(1));
  }

  /** A validator refusing null and empty values. */
  static <T> Function1<T, Object> nonEmpty() {
    return value -> value != null && !value.toString().isEmpty();
  }

  /** The tags of a tagSet value, in order. */
  static String[] tags(String tagSet) {
    return tagSet.split(",");
  }

  private static boolean validTagSet(String tagSet) {
    return tagSet != null
        && !tagSet.isEmpty()
        && Arrays.stream(tagSet.split(",", -1))
            .allMatch(tag -> !tag.isEmpty() && tag.chars().noneMatch(Character::isWhitespace));
  }
}
