package org.sparktf.examples.imagenet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopKCountsTest {
  @Test
  void precisionAt1AndRecallAt5CountTheLabelAmongTheTopPredictions() {
    int[][] predictions = {
      {3, 1, 2, 0, 4, 5}, // label 3: top-1 and top-5
      {1, 2, 4, 5, 6, 3}, // label 3: sixth, neither
      {0, 7, 8, 9, 3, 1}, // label 3: fifth, top-5 only
      {2, 3, 4, 5, 6, 7} // padding row, not counted
    };
    TopKCounts counts = TopKCounts.of(predictions, new long[] {3, 3, 3, 2}, 3);
    assertThat(counts).isEqualTo(new TopKCounts(3, 1, 2));
    TopKCounts total = counts.plus(TopKCounts.of(new int[][] {{5, 1}}, new long[] {5}, 1));
    assertThat(total).isEqualTo(new TopKCounts(4, 2, 3));
    assertThat(total.precisionAt1()).isEqualTo(0.5);
    assertThat(total.recallAt5()).isEqualTo(0.75);
    assertThat(TopKCounts.NONE.precisionAt1()).isZero();
  }
}
