package org.sparktf.examples.imagenet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.sparktf.core.NodeContext;
import org.sparktf.core.TFRecordBatches;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.types.TString;

/**
 * A worker's training files read round and round, in a new random file order each epoch: every
 * batch holds exactly the requested number of records, since synchronous training needs every
 * worker to run the same number of fixed-size steps.
 */
final class RecordCycle implements AutoCloseable {
  private final NodeContext ctx;
  private final List<String> files;
  private final Random random;
  private TFRecordBatches current;
  private boolean currentGaveRecords;

  RecordCycle(NodeContext ctx, List<String> files, long seed) {
    this.ctx = ctx;
    this.files = new ArrayList<>(files);
    this.random = new Random(seed);
  }

  /** The next {@code size} serialized records; the caller closes the tensor. */
  TString next(int size) {
    List<byte[]> records = new ArrayList<>(size);
    while (records.size() < size) {
      if (current == null) {
        Collections.shuffle(files, random);
        current = TFRecordBatches.open(ctx, files);
        currentGaveRecords = false;
      }
      try (TString batch = current.next(size - records.size())) {
        NdArray<byte[]> bytes = batch.asBytes();
        if (bytes.size() == 0) {
          current.close();
          current = null;
          if (!currentGaveRecords) {
            throw new IllegalStateException(
                "Cannot read training records: " + files + " hold none");
          }
          continue;
        }
        currentGaveRecords = true;
        for (long i = 0; i < bytes.size(); i++) {
          records.add(bytes.getObject(i));
        }
      }
    }
    return TString.tensorOfBytes(NdArrays.vectorOfObjects(records.toArray(new byte[0][])));
  }

  @Override
  public void close() {
    if (current != null) {
      current.close();
    }
  }
}
