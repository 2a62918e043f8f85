package org.sparktf.ml;

import java.util.Map;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The Params of {@link TFModel}: which SavedModel, which signature, and how columns map to it. */
public interface TFModelParams extends Params {
  /** The SavedModel directory, a Hadoop FileSystem URI. Default: none (required). */
  Param<String> exportDir();

  /** The signature to run. Default: "serving_default". */
  Param<String> signatureDefKey();

  /** The SavedModel tag set, comma-separated. Default: "serve". */
  Param<String> tagSet();

  /** Input column to signature input name. Default: none (required). */
  MappingParam inputMapping();

  /** Signature output name to output column. Default: none (required). */
  MappingParam outputMapping();

  /** Rows per session run. Default: 128. */
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
