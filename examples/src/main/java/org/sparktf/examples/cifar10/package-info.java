/**
 * CIFAR-10 with a convolutional network, after the reference architecture's CIFAR-10 workload.
 *
 * <p><b>Private</b>: an example application that uses only SparkTF's public API; no compatibility
 * promise.
 */
package org.sparktf.examples.cifar10;
