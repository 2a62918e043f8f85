package org.sparktf.datasource.tfrecord;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.Test;
import org.sparktf.datasource.tfrecord.internal.HadoopConfBroadcasts;
import org.sparktf.datasource.tfrecord.internal.SerializableHadoopConf;

/** Scans reuse the broadcast Hadoop configuration only while its properties are unchanged. */
class HadoopConfBroadcastsTest extends SparkSessionTestBase {

  @Test
  void reusesTheBroadcastForEqualPropertiesAndMakesANewOneWhenASettingChanges() {
    SparkContext sc = spark.sparkContext();
    Configuration first = spark.sessionState().newHadoopConf();
    first.set("sparktf.test.setting", "a");
    Configuration same = spark.sessionState().newHadoopConf();
    same.set("sparktf.test.setting", "a");
    Configuration changed = spark.sessionState().newHadoopConf();
    changed.set("sparktf.test.setting", "b");

    Broadcast<SerializableHadoopConf> a = HadoopConfBroadcasts.of(sc, first);
    Broadcast<SerializableHadoopConf> again = HadoopConfBroadcasts.of(sc, same);
    Broadcast<SerializableHadoopConf> b = HadoopConfBroadcasts.of(sc, changed);

    assertThat(again.id()).isEqualTo(a.id());
    assertThat(b.id()).isNotEqualTo(a.id());
    assertThat(b.value().get().get("sparktf.test.setting")).isEqualTo("b");
    assertThat(a.value().get().get("sparktf.test.setting")).isEqualTo("a");
  }
}
