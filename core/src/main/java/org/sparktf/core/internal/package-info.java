/**
 * How the cluster runtime works inside: the driver-side coordinator and its authenticated control
 * channel, node launch and supervision on executors, the node child JVM, and TF Java reflection
 * (quarantined in {@code GrpcSessions}).
 *
 * <p><b>Private</b> to the core module: no other module may import it, and nothing here carries a
 * compatibility promise.
 */
package org.sparktf.core.internal;
