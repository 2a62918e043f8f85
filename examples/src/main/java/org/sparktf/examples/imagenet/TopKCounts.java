package org.sparktf.examples.imagenet;

import java.io.Serializable;

/**
 * Counts for Precision@1 (the top prediction is the label) and Recall@5 (the label is among the
 * five top predictions) over some images; counts of different parts add up.
 */
record TopKCounts(long images, long top1, long top5) implements Serializable {
  static final TopKCounts NONE = new TopKCounts(0, 0, 0);

  /**
   * Counts the first {@code rows} images of a batch: {@code predictions[i]} are image i's classes
   * by decreasing score (at least 5, or all classes when there are fewer).
   */
  static TopKCounts of(int[][] predictions, long[] labels, int rows) {
    long top1 = 0;
    long top5 = 0;
    for (int i = 0; i < rows; i++) {
      if (predictions[i][0] == labels[i]) {
        top1++;
      }
      for (int k = 0; k < Math.min(5, predictions[i].length); k++) {
        if (predictions[i][k] == labels[i]) {
          top5++;
          break;
        }
      }
    }
    return new TopKCounts(rows, top1, top5);
  }

  TopKCounts plus(TopKCounts other) {
    return new TopKCounts(images + other.images, top1 + other.top1, top5 + other.top5);
  }

  double precisionAt1() {
    return images == 0 ? 0 : (double) top1 / images;
  }

  double recallAt5() {
    return images == 0 ? 0 : (double) top5 / images;
  }
}
