package org.sparktf.it;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.authentication.util.KerberosName;
import org.apache.hadoop.security.ssl.KeyStoreTestUtil;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A Kerberized HDFS and YARN in this JVM, with a MiniKdc: Kerberos authentication, block access
 * tokens, SASL on the DataNode's data transfer (instead of privileged ports, which needs HTTPS for
 * its web server) and short NameNode delegation-token lifetimes. One user, {@link #USER}, has a
 * keytab of its own ({@link #userKeytab()}) and a home directory.
 *
 * <p>All services share one Kerberos identity, {@code hdfs/localhost}: Hadoop keeps one login user
 * per JVM, and each service's RPC server accepts connections with the login user's keys.
 *
 * <p>Hadoop's security settings are JVM-wide ({@link UserGroupInformation}); {@link #close()}
 * resets them so that later test classes in this JVM run without Kerberos.
 */
final class SecureHadoop implements AutoCloseable {
  static final String USER = "alice";

  /** A classpath resource every Configuration in this JVM reads while the clusters run. */
  private static final String CLIENT_SITE = "sparktf-secure-client-site.xml";

  private static final int NODE_MANAGERS = 2;

  private final Path baseDir;
  private final MiniKdc kdc;
  private final String sslConfDir;
  private MiniDFSCluster dfs;
  private MiniYARNCluster yarn;
  private YarnClient client;

  private SecureHadoop(Path baseDir, MiniKdc kdc, String sslConfDir) {
    this.baseDir = baseDir;
    this.kdc = kdc;
    this.sslConfDir = sslConfDir;
  }

  /**
   * Starts the KDC, then HDFS and YARN. A NameNode delegation token lives {@code tokenRenewal}
   * unless renewed, and {@code tokenLifetime} at most.
   */
  static SecureHadoop start(Path baseDir, Duration tokenRenewal, Duration tokenLifetime)
      throws Exception {
    MiniKdc kdc =
        new MiniKdc(MiniKdc.createConf(), Files.createDirectories(baseDir.resolve("kdc")).toFile());
    kdc.start();
    // The JVM may have read another default realm before the KDC wrote its krb5.conf.
    KerberosName.resetDefaultRealm();
    SecureHadoop hadoop =
        new SecureHadoop(baseDir, kdc, KeyStoreTestUtil.getClasspathDir(SecureHadoop.class));
    try {
      hadoop.startClusters(tokenRenewal, tokenLifetime);
      return hadoop;
    } catch (Exception | Error e) {
      hadoop.close();
      throw e;
    }
  }

  private void startClusters(Duration tokenRenewal, Duration tokenLifetime) throws Exception {
    kdc.createPrincipal(serviceKeytab().toFile(), "hdfs/localhost", "HTTP/localhost");
    kdc.createPrincipal(userKeytab().toFile(), USER);
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.resolve("hdfs").toString());
    conf.set("hadoop.security.authentication", "kerberos");
    String service = servicePrincipal();
    String keytab = serviceKeytab().toString();
    for (String role : List.of("namenode", "datanode")) {
      conf.set("dfs." + role + ".kerberos.principal", service);
      conf.set("dfs." + role + ".keytab.file", keytab);
    }
    conf.set("dfs.web.authentication.kerberos.principal", "HTTP/localhost@" + kdc.getRealm());
    conf.set("dfs.web.authentication.kerberos.keytab", keytab);
    conf.setBoolean("dfs.block.access.token.enable", true);
    // SASL on the data transfer protocol authenticates the DataNode without privileged ports; the
    // DataNode then insists on HTTPS for its web server.
    conf.set("dfs.data.transfer.protection", "authentication");
    conf.set("dfs.http.policy", "HTTPS_ONLY");
    conf.set("dfs.namenode.https-address", "localhost:0");
    conf.set("dfs.datanode.https.address", "localhost:0");
    conf.setLong("dfs.namenode.delegation.token.renew-interval", tokenRenewal.toMillis());
    conf.setLong("dfs.namenode.delegation.token.max-lifetime", tokenLifetime.toMillis());
    // Clients drop idle NameNode connections after 1 s, so each checkpoint authenticates anew with
    // the tokens its process holds then (an open connection stays authenticated past expiry).
    conf.setInt("ipc.client.connection.maxidletime", 1000);
    Path keystores = Files.createDirectories(baseDir.resolve("keystores"));
    // Hadoop reads ssl-server.xml and ssl-client.xml from the classpath.
    KeyStoreTestUtil.setupSSLConfig(keystores.toString(), sslConfDir, conf, false);
    conf.set("dfs.client.https.keystore.resource", KeyStoreTestUtil.getClientSSLConfigFileName());
    conf.set("dfs.https.server.keystore.resource", KeyStoreTestUtil.getServerSSLConfigFileName());
    writeClientSite(conf);
    UserGroupInformation.setConfiguration(conf);

    dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    dfs.waitActive();
    FileSystem fs = dfs.getFileSystem();
    org.apache.hadoop.fs.Path home = new org.apache.hadoop.fs.Path("/user/" + USER);
    fs.mkdirs(home);
    fs.setOwner(home, USER, USER);
    fs.mkdirs(new org.apache.hadoop.fs.Path("/tmp"), new FsPermission((short) 01777));
    fs.setPermission(new org.apache.hadoop.fs.Path("/tmp"), new FsPermission((short) 01777));

    YarnConfiguration yarnConf = new YarnConfiguration(dfs.getConfiguration(0));
    for (String role : List.of("resourcemanager", "nodemanager")) {
      yarnConf.set("yarn." + role + ".principal", service);
      yarnConf.set("yarn." + role + ".keytab", keytab);
    }
    yarnConf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, MiniHadoop.NODE_MEMORY_MB);
    yarnConf.setInt(YarnConfiguration.NM_VCORES, 4);
    yarnConf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, MiniHadoop.CONTAINER_MB);
    yarnConf.setInt(
        YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, MiniHadoop.NODE_MEMORY_MB);
    yarnConf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    yarnConf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    yarnConf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
    // The web UIs stay unauthenticated: the tests use only RPC.
    yarnConf.setBoolean("yarn.resourcemanager.webapp.delegation-token-auth-filter.enabled", false);
    // One queue, "default", as a CapacityScheduler without capacity-scheduler.xml would need.
    yarnConf.set("yarn.scheduler.capacity.root.queues", "default");
    yarnConf.set("yarn.scheduler.capacity.root.default.capacity", "100");
    yarnConf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
    yarnConf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    yarnConf.set("yarn.scheduler.capacity.root.default.maximum-am-resource-percent", "1.0");
    yarn = new MiniYARNCluster("sparktf-secure", NODE_MANAGERS, 1, 1);
    yarn.init(yarnConf);
    yarn.start();
    client = YarnClient.createYarnClient();
    client.init(yarn.getConfig());
    client.start();
  }

  /**
   * Puts the HDFS client's SASL setting where a {@code new Configuration()} in this JVM finds it.
   * The NodeManagers localize each container in this JVM (the {@code DefaultContainerExecutor} runs
   * Hadoop's {@code ContainerLocalizer} in-process) with a fresh {@code YarnConfiguration}, which
   * reads only the classpath's resources, not the settings made here. Without {@code
   * dfs.data.transfer.protection} its HDFS client skips the SASL handshake ({@code
   * SaslDataTransferClient#send}: secure, unprivileged port, no SASL properties), the DataNode
   * expects one, rejects the first bytes as a wrong magic number and drops the connection: the
   * localizer sees "Connection reset" and no container ever starts. A real NodeManager has the
   * cluster's hdfs-site.xml on its classpath.
   */
  private void writeClientSite(Configuration conf) throws IOException {
    Configuration site = new Configuration(false);
    site.set("dfs.data.transfer.protection", conf.get("dfs.data.transfer.protection"));
    try (OutputStream out = Files.newOutputStream(clientSite())) {
      site.writeXml(out);
    }
    Configuration.addDefaultResource(CLIENT_SITE);
  }

  private Path clientSite() {
    return Path.of(sslConfDir, CLIENT_SITE);
  }

  String servicePrincipal() {
    return "hdfs/localhost@" + kdc.getRealm();
  }

  String userPrincipal() {
    return USER + "@" + kdc.getRealm();
  }

  Path userKeytab() {
    return baseDir.resolve("kdc").resolve(USER + ".keytab");
  }

  private Path serviceKeytab() {
    return baseDir.resolve("kdc").resolve("services.keytab");
  }

  File krb5Conf() {
    return kdc.getKrb5conf();
  }

  Configuration conf() {
    return yarn.getConfig();
  }

  String hdfs(String path) {
    return dfs.getURI().toString() + path;
  }

  YarnClient client() {
    return client;
  }

  /** Where the NodeManagers keep their containers' logs (MiniYARNCluster chooses them). */
  List<Path> containerLogDirs() {
    List<Path> dirs = new java.util.ArrayList<>();
    for (int i = 0; i < NODE_MANAGERS; i++) {
      for (String logDir :
          yarn.getNodeManager(i).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
        dirs.add(Path.of(logDir));
      }
    }
    return dirs;
  }

  /** The file system as {@link #USER}, logged in from the user's keytab. */
  <T> T asUser(PrivilegedExceptionAction<T> action) throws Exception {
    UserGroupInformation user =
        UserGroupInformation.loginUserFromKeytabAndReturnUGI(
            userPrincipal(), userKeytab().toString());
    return user.doAs(action);
  }

  /**
   * A HADOOP_CONF_DIR for spark-submit: the clusters' whole configuration but the test-only rack
   * mapping, which names a class no Spark installation has.
   */
  Path writeConfDir() throws IOException {
    Path dir = Files.createDirectories(baseDir.resolve("hadoop-conf"));
    Configuration client = new Configuration(false);
    for (Map.Entry<String, String> e : conf()) {
      if (!e.getKey().equals("net.topology.node.switch.mapping.impl")) {
        client.set(e.getKey(), e.getValue());
      }
    }
    for (String file : List.of("core-site.xml", "hdfs-site.xml", "yarn-site.xml")) {
      try (OutputStream out = Files.newOutputStream(dir.resolve(file))) {
        client.writeXml(out);
      }
    }
    return dir;
  }

  @Override
  public void close() {
    try {
      if (client != null) {
        client.stop();
      }
      if (yarn != null) {
        yarn.stop();
      }
      if (dfs != null) {
        dfs.shutdown();
      }
    } finally {
      kdc.stop();
      try {
        KeyStoreTestUtil.cleanupSSLConfig(baseDir.resolve("keystores").toString(), sslConfDir);
        // Later Configurations in this JVM find the resource no more (a missing default resource is
        // skipped).
        Files.deleteIfExists(clientSite());
      } catch (Exception e) {
        throw new IllegalStateException("Cannot remove the SSL configuration: " + e, e);
      } finally {
        // Later test classes in this JVM run without Kerberos.
        UserGroupInformation.reset();
        UserGroupInformation.setConfiguration(new Configuration());
      }
    }
  }
}
