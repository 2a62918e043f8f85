package org.sparktf.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/**
 * Where a cluster's restart limit comes from: the builder, else {@value
 * TFCluster#MAX_RESTARTS_KEY}, else 0. The YARN test {@code YarnProductionTest} shows the conf key
 * at work: a job that never calls maxRestarts survives a worker container killed by YARN.
 */
class MaxRestartsConfTest {
  private static SparkConf conf(String value) {
    SparkConf conf = new SparkConf(false);
    if (value != null) {
      conf.set(TFCluster.MAX_RESTARTS_KEY, value);
    }
    return conf;
  }

  @Test
  void theSparkConfSetsTheLimitWhereTheBuilderDoesNot() {
    assertThat(TFCluster.builder(null).restartLimit(conf(null))).isZero();
    assertThat(TFCluster.builder(null).restartLimit(conf(" 2 "))).isEqualTo(2);
  }

  @Test
  void theBuilderTakesPrecedenceOverTheSparkConf() {
    assertThat(TFCluster.builder(null).maxRestarts(1).restartLimit(conf("5"))).isEqualTo(1);
    assertThat(TFCluster.builder(null).maxRestarts(0).restartLimit(conf("5"))).isZero();
  }

  @Test
  void anInvalidConfValueIsRefusedWithTheKey() {
    for (String value : new String[] {"-1", "two", ""}) {
      assertThatThrownBy(() -> TFCluster.builder(null).restartLimit(conf(value)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Invalid spark.sparktf.maxRestarts: '" + value + "'; it must be an integer >= 0");
    }
  }
}
