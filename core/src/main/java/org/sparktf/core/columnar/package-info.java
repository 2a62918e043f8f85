/**
 * The row↔tensor columnar codec: Spark rows into primitive column arrays ({@link
 * org.sparktf.core.columnar.ColumnBatchEncoder}), their wire form ({@link
 * org.sparktf.core.columnar.ColumnBatchDecoder}) and tensors ({@link
 * org.sparktf.core.columnar.TensorFrames}), and back.
 *
 * <p><b>Shared, no compatibility promise</b>: used by core (cluster feeding) and by the estimators
 * module (TFModel scoring); it may change in any release. Applications should not use it.
 */
package org.sparktf.core.columnar;
