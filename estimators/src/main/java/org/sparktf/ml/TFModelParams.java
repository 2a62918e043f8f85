package org.sparktf.ml;

import java.util.Map;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The Params {@link TFModel} and {@link TFEstimator} share: which SavedModel, which signature and
 * tags, and how columns map to it; with a typed getter for each. Both stages make them the same
 * way, so the docs, validators and defaults below hold for both.
 */
public interface TFModelParams extends Params {
  /** The SavedModel directory, a Hadoop FileSystem URI. Default: none (required). */
  Param<String> exportDir();

  /** The signature TFEstimator exports and TFModel runs. Default: "serving_default". */
  Param<String> signatureDefKey();

  /** The SavedModel's tag set, comma-separated. Default: "serve". */
  Param<String> tagSet();

  /** Input column to model input name. Default: none (required). */
  MappingParam inputMapping();

  /** Model output name to output column. Default: none (required). */
  MappingParam outputMapping();

  /** Rows per training step and per session run. Default: 128. */
  IntParam batchSize();

  default String getExportDir() {
    return getOrDefault(exportDir());
  }

  default String getSignatureDefKey() {
    return getOrDefault(signatureDefKey());
  }

  default String getTagSet() {
    return getOrDefault(tagSet());
  }

  default Map<String, String> getInputMapping() {
    return getOrDefault(inputMapping());
  }

  default Map<String, String> getOutputMapping() {
    return getOrDefault(outputMapping());
  }

  default int getBatchSize() {
    return (Integer) getOrDefault(batchSize());
  }
}
