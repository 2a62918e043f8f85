package org.sparktf.core.internal;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's Hadoop delegation tokens, handed to its node's child JVM over the node's standard
 * input: once right after the spec, then whenever they change. On a secure cluster the node reads
 * and writes HDFS with the application's tokens, as the executor does; Spark's driver obtains new
 * tokens before the old ones expire and sends them to the executors only, so the node must get them
 * from its executor to keep writing checkpoints after the first tokens expire.
 */
final class NodeCredentials {
  private static final Logger LOG = LoggerFactory.getLogger(NodeCredentials.class);

  /** How often the executor looks for renewed tokens: far below any token lifetime. */
  static final long POLL_MILLIS = 2_000;

  private NodeCredentials() {}

  /** The tokens and secret keys of {@code user}, in Hadoop's token storage format. */
  static byte[] of(UserGroupInformation user) throws IOException {
    Credentials credentials = user.getCredentials();
    DataOutputBuffer buffer = new DataOutputBuffer();
    credentials.writeTokenStorageToStream(buffer);
    return Arrays.copyOf(buffer.getData(), buffer.getLength());
  }

  /**
   * Sends {@code user}'s credentials to the node whenever they differ from {@code sent}, as long as
   * the node is alive and its input open, until the thread is interrupted. Writes to {@code out}
   * hold its lock.
   */
  static Thread forward(
      UserGroupInformation user,
      ObjectOutputStream out,
      byte[] sent,
      BooleanSupplier alive,
      String nodeName) {
    Thread thread =
        new Thread(
            () -> {
              byte[] last = sent;
              while (alive.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
                LockSupport.parkNanos(POLL_MILLIS * 1_000_000L);
                try {
                  byte[] now = of(user);
                  if (!Arrays.equals(now, last)) {
                    send(out, now);
                    last = now;
                    LOG.info("Sent renewed Hadoop credentials to TensorFlow node {}", nodeName);
                  }
                } catch (IOException e) {
                  // The node is gone; its supervisor reports why.
                  LOG.debug(
                      "Credentials of node {} no longer forwarded: {}", nodeName, e.toString());
                  return;
                }
              }
            },
            "sparktf-node-credentials-" + nodeName);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  static void send(ObjectOutputStream out, byte[] credentials) throws IOException {
    synchronized (out) {
      out.writeObject(credentials);
      // Each message is new: forget the previous ones instead of keeping references to them.
      out.reset();
      out.flush();
    }
  }

  /**
   * In the node's JVM: makes Hadoop's security follow the application's configuration (Kerberos or
   * not), before any file system is opened.
   */
  static void configure(Map<String, String> hadoopConf) {
    Configuration conf = new Configuration();
    hadoopConf.forEach(conf::set);
    UserGroupInformation.setConfiguration(conf);
  }

  /** In the node's JVM: adds the executor's credentials to this process's user. */
  static void apply(byte[] credentials) throws IOException {
    Credentials received = new Credentials();
    received.readTokenStorageStream(new DataInputStream(new ByteArrayInputStream(credentials)));
    if (received.numberOfTokens() > 0 || received.numberOfSecretKeys() > 0) {
      UserGroupInformation.getCurrentUser().addCredentials(received);
    }
  }
}
