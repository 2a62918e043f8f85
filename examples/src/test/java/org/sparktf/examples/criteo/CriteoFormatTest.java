package org.sparktf.examples.criteo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CriteoFormatTest {
  private static String line(String label, String i1, String c1) {
    StringBuilder line = new StringBuilder(label).append('\t').append(i1);
    for (int i = 1; i < CriteoFormat.NUMERIC; i++) {
      line.append('\t').append(i);
    }
    line.append('\t').append(c1);
    for (int i = 1; i < CriteoFormat.CATEGORICAL; i++) {
      line.append('\t').append(String.format("%08x", i));
    }
    return line.toString();
  }

  @Test
  void parsesAllFortyFieldsWithEmptyFieldsAsNull() {
    Object[] values = CriteoFormat.parse(line("1", "", ""));
    assertThat(values).hasSize(40);
    assertThat(values[0]).isEqualTo(1L);
    assertThat(values[1]).isNull();
    assertThat(values[2]).isEqualTo(1L);
    assertThat(values[14]).isNull();
    assertThat(values[15]).isEqualTo("00000001");
    assertThat(CriteoFormat.format(values)).isEqualTo(line("1", "", ""));
  }

  @Test
  void refusesMalformedLinesWithTheReasonAndTheLine() {
    assertThatThrownBy(() -> CriteoFormat.parse("1\t2\t3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid Criteo line: 3 tab-separated fields instead of 40: '1\\t2\\t3'");
    assertThatThrownBy(() -> CriteoFormat.parse(line("2", "5", "ab")))
        .hasMessageStartingWith("Invalid Criteo line: label '2' is not 0 or 1: '2\\t5\\t1");
    assertThatThrownBy(() -> CriteoFormat.parse(line("0", "5.5", "ab")))
        .hasMessageStartingWith("Invalid Criteo line: I1 '5.5' is not an integer: '0\\t5.5");
    // Kaggle's test file has no label column: 39 fields.
    String unlabelled = line("0", "1", "ab").substring(2);
    assertThatThrownBy(() -> CriteoFormat.parse(unlabelled))
        .hasMessageContaining("39 tab-separated fields instead of 40");
  }

  @Test
  void bucketsFollowTheBoundariesWithMissingValuesAlone() {
    assertThat(CriteoFeatures.bucket(null)).isZero();
    assertThat(CriteoFeatures.bucket(CriteoFeatures.MISSING_NUMERIC)).isZero();
    assertThat(CriteoFeatures.bucket(-3L)).isEqualTo(1);
    assertThat(CriteoFeatures.bucket(0L)).isEqualTo(2);
    assertThat(CriteoFeatures.bucket(5L)).isEqualTo(6); // [4, 6)
    assertThat(CriteoFeatures.bucket(6L)).isEqualTo(7);
    assertThat(CriteoFeatures.bucket(1_000_000L)).isEqualTo(CriteoFeatures.BUCKETS - 1);
  }

  @Test
  void syntheticRowsAreDeterministicAndCriteoShaped() {
    SyntheticCriteo data = new SyntheticCriteo(3);
    Object[] row = data.row(12);
    assertThat(data.row(12)).containsExactly(row);
    assertThat(new SyntheticCriteo(4).row(12)).isNotEqualTo(row);
    // Every line the generator writes parses back to the same values.
    for (long id = 0; id < 2000; id++) {
      Object[] values = data.row(id);
      assertThat(CriteoFormat.parse(CriteoFormat.format(values))).containsExactly(values);
      for (int i = 1 + CriteoFormat.NUMERIC; i < CriteoFormat.FIELDS; i++) {
        if (values[i] != null) {
          assertThat((String) values[i]).matches("[0-9a-f]{8}");
        }
      }
    }
    // C9 has 3 values in Criteo; the generator's vocabulary for it is as small.
    long distinct =
        java.util.stream.LongStream.range(0, 2000)
            .mapToObj(id -> data.row(id)[1 + CriteoFormat.NUMERIC + 8])
            .distinct()
            .count();
    assertThat(distinct).isEqualTo(3);
  }

  @Test
  void plantedProbabilitiesDependOnlyOnTheSignalFeatures() {
    PlantedModel model = new PlantedModel(3);
    Object[] row = new SyntheticCriteo(3).row(5);
    double p = model.probability(row);
    assertThat(p).isStrictlyBetween(0.0, 1.0);
    Object[] changed = row.clone();
    changed[1 + CriteoFormat.NUMERIC + 2] = "0badf00d"; // C3 carries no signal
    changed[2] = 123456L; // nor does I2
    assertThat(model.probability(changed)).isEqualTo(p);
    changed[1 + CriteoFormat.NUMERIC + 8] = "0badf00d"; // C9 does
    assertThat(model.probability(changed)).isNotEqualTo(p);
    assertThat(new PlantedModel(3).probability(row)).isEqualTo(p);
  }

  @Test
  void realisticPlantedModelClicksAboutThreeToFourPercentOfRows() {
    SyntheticCriteo realistic = new SyntheticCriteo(7, PlantedModel.realistic(7));
    SyntheticCriteo simple = new SyntheticCriteo(7);
    int rows = 20_000;
    long realisticClicks = 0;
    long simpleClicks = 0;
    for (int i = 0; i < rows; i++) {
      realisticClicks += (Long) realistic.row(i)[0];
      simpleClicks += (Long) simple.row(i)[0];
    }
    assertThat(realisticClicks / (double) rows).isBetween(0.025, 0.05);
    assertThat(simpleClicks / (double) rows).isGreaterThan(0.15);
  }

  @Test
  void realisticPlantedModelHasInteractionsTheFeaturesDoNotCross() {
    PlantedModel model = PlantedModel.realistic(3);
    Object[] row = new SyntheticCriteo(3, model).row(5);
    double p = model.probability(row);
    // C6 and C14 each carry a linear weight and, together, an interaction: changing C6 alone
    // changes p by its own weight times a factor that depends on C14.
    Object[] otherC6 = row.clone();
    otherC6[1 + CriteoFormat.NUMERIC + 5] = "0badf00d";
    Object[] otherC14 = row.clone();
    otherC14[1 + CriteoFormat.NUMERIC + 13] = "0badf00d";
    Object[] both = otherC14.clone();
    both[1 + CriteoFormat.NUMERIC + 5] = "0badf00d";
    double logit = logit(p);
    double additive =
        logit(model.probability(otherC6)) + logit(model.probability(otherC14)) - logit;
    assertThat(Math.abs(logit(model.probability(both)) - additive)).isGreaterThan(1e-6);
    // Without interactions (the simple model) the same changes add up on the logit scale.
    PlantedModel simple = new PlantedModel(3);
    double simpleAdditive =
        logit(simple.probability(otherC6))
            + logit(simple.probability(otherC14))
            - logit(simple.probability(row));
    assertThat(logit(simple.probability(both))).isCloseTo(simpleAdditive, within(1e-9));
  }

  private static double logit(double p) {
    return Math.log(p / (1 - p));
  }
}
