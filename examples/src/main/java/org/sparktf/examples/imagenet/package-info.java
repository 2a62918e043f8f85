/**
 * ImageNet with Inception v3: TFRecord shards in the ImageNet layout, training and top-k
 * evaluation.
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.imagenet;
