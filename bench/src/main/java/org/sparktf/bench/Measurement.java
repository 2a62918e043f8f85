package org.sparktf.bench;

/**
 * One timed run of one contender.
 *
 * @param dataset "MNIST" or "Criteo"
 * @param contender e.g. "ours", "naive", "TF native", "Parquet", "JSON"
 * @param operation "read" or "write"
 * @param rows rows read or written
 * @param seconds wall-clock seconds
 * @param bytes on-disk bytes of the data files read or written
 */
public record Measurement(
    String dataset, String contender, String operation, long rows, double seconds, long bytes) {

  /** Rows per second. */
  public double rowsPerSecond() {
    return rows / seconds;
  }

  /** On-disk megabytes (10^6 bytes) per second. */
  public double megabytesPerSecond() {
    return bytes / 1e6 / seconds;
  }
}
