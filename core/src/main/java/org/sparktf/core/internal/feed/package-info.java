/**
 * The socket side of Spark feeding: a feeding task's {@code PartitionFeeder}, a worker's {@code
 * FeedServer} and the {@code DataFeed} its node function reads, and their wire protocol.
 *
 * <p><b>Private</b> to the core module: no other module may import it, and nothing here carries a
 * compatibility promise.
 */
package org.sparktf.core.internal.feed;
