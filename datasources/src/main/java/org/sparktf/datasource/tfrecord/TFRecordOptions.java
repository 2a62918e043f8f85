package org.sparktf.datasource.tfrecord;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.sparktf.datasource.tfrecord.internal.TFRecordErrors;
import org.sparktf.tfrecord.io.TFRecordCompression;

/**
 * The options of the {@code tfrecord} data source, parsed and validated once when a read or write
 * is planned, so a bad value fails before any task runs.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@value #RECORD_TYPE}</td><td>{@code Example}, {@code SequenceExample} or
 *       {@code ByteArray} (one {@code value: binary} column per record)</td><td>Example</td></tr>
 *   <tr><td>{@value #COMPRESSION}</td><td>{@code none}, {@code gzip} or {@code zlib}
 *       (TensorFlow's GZIP and ZLIB). On read it overrides detection by file extension
 *       ({@code .gz}, {@code .zlib}, {@code .deflate}).</td><td>none; by extension on read</td></tr>
 *   <tr><td>{@value #CODEC}</td><td>a Hadoop codec class name ({@code GzipCodec},
 *       {@code DefaultCodec}), accepted like {@value #COMPRESSION} for compatibility</td><td></td></tr>
 *   <tr><td>{@value #MODE}</td><td>{@code FAILFAST}, {@code DROPMALFORMED} or {@code PERMISSIVE}
 *       for corrupt records</td><td>FAILFAST</td></tr>
 *   <tr><td>{@value #VERIFY_CRC}</td><td>check each record's CRC32C</td><td>true</td></tr>
 *   <tr><td>{@value #SAMPLING_RATIO}</td><td>fraction (0, 1] of each file's records read to infer
 *       the schema</td><td>1.0</td></tr>
 *   <tr><td>{@value #INFER_MAX_RECORDS_PER_FILE}</td><td>at most this many records of each file are
 *       read to infer the schema</td><td>10000</td></tr>
 *   <tr><td>{@value #DIRECT_ROWS}</td><td>on read, write each row straight into Spark's
 *       {@code UnsafeRow} layout from the record buffer (one copy of the values) when every
 *       column is a scalar or an array of a non-decimal type (vectors, nested arrays and decimals
 *       always take the row path); {@code false} forces the row path (decode to a generic row,
 *       then project), e.g. to compare the two</td><td>true</td></tr>
 *   <tr><td>{@value #COLUMN_NAME_OF_CORRUPT_RECORD}</td><td>the string column that PERMISSIVE mode
 *       fills with what was wrong</td><td>spark.sql.columnNameOfCorruptRecord</td></tr>
 * </table>
 */
public final class TFRecordOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String RECORD_TYPE = "recordType";
  public static final String COMPRESSION = "compression";
  public static final String CODEC = "codec";
  public static final String MODE = "mode";
  public static final String VERIFY_CRC = "verifyCrc";
  public static final String SAMPLING_RATIO = "samplingRatio";
  public static final String INFER_MAX_RECORDS_PER_FILE = "inferMaxRecordsPerFile";
  public static final String COLUMN_NAME_OF_CORRUPT_RECORD = "columnNameOfCorruptRecord";
  public static final String DIRECT_ROWS = "directRows";

  /** What to do with a corrupt record. */
  public enum Mode {
    FAILFAST,
    DROPMALFORMED,
    PERMISSIVE
  }

  private final TFRecordType recordType;
  private final TFRecordCompression compression;
  private final Mode mode;
  private final boolean verifyCrc;
  private final double samplingRatio;
  private final int inferMaxRecordsPerFile;
  private final String corruptRecordColumn;
  private final boolean directRows;

  /**
   * Parses the options of one read or write.
   *
   * @param options the user's options (keys are case-insensitive)
   * @param defaultCorruptRecordColumn the session's {@code spark.sql.columnNameOfCorruptRecord}
   * @throws IllegalArgumentException naming the option and its accepted values
   */
  public TFRecordOptions(Map<String, String> options, String defaultCorruptRecordColumn) {
    Map<String, String> opts = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    opts.putAll(options);
    this.recordType = TFRecordType.fromOption(get(opts, RECORD_TYPE, "Example"));
    this.compression = parseCompression(opts);
    this.mode = parseMode(get(opts, MODE, "FAILFAST"));
    this.verifyCrc = parseBoolean(VERIFY_CRC, get(opts, VERIFY_CRC, "true"));
    this.samplingRatio = parseSamplingRatio(get(opts, SAMPLING_RATIO, "1.0"));
    this.inferMaxRecordsPerFile =
        parsePositiveInt(
            INFER_MAX_RECORDS_PER_FILE, get(opts, INFER_MAX_RECORDS_PER_FILE, "10000"));
    this.corruptRecordColumn = get(opts, COLUMN_NAME_OF_CORRUPT_RECORD, defaultCorruptRecordColumn);
    this.directRows = parseBoolean(DIRECT_ROWS, get(opts, DIRECT_ROWS, "true"));
  }

  public TFRecordType recordType() {
    return recordType;
  }

  /** The compression the user asked for, or {@code null} to use the file extension on read. */
  public TFRecordCompression compression() {
    return compression;
  }

  /** The compression of the files written. */
  public TFRecordCompression writeCompression() {
    return compression == null ? TFRecordCompression.NONE : compression;
  }

  /** The compression of one file read: the option if given, else by its extension. */
  public TFRecordCompression readCompression(String fileName) {
    return compression != null ? compression : TFRecordCompression.fromFileName(fileName);
  }

  public Mode mode() {
    return mode;
  }

  public boolean verifyCrc() {
    return verifyCrc;
  }

  public double samplingRatio() {
    return samplingRatio;
  }

  public int inferMaxRecordsPerFile() {
    return inferMaxRecordsPerFile;
  }

  public String corruptRecordColumn() {
    return corruptRecordColumn;
  }

  /** Whether reads write rows straight from the record buffer where the columns allow it. */
  public boolean directRows() {
    return directRows;
  }

  private static String get(Map<String, String> opts, String key, String fallback) {
    String v = opts.get(key);
    return v != null ? v : fallback;
  }

  private static TFRecordCompression parseCompression(Map<String, String> opts) {
    String compression = get(opts, COMPRESSION, null);
    String codec = get(opts, CODEC, null);
    TFRecordCompression fromCompression =
        compression == null ? null : TFRecordCompression.fromOption(compression);
    TFRecordCompression fromCodec = codec == null ? null : TFRecordCompression.fromCodec(codec);
    if (fromCompression != null && fromCodec != null && fromCompression != fromCodec) {
      throw TFRecordErrors.conflictingCompression(compression, codec);
    }
    return fromCompression != null ? fromCompression : fromCodec;
  }

  private static Mode parseMode(String value) {
    try {
      return Mode.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw TFRecordErrors.invalidOption(MODE, value, "FAILFAST, DROPMALFORMED, PERMISSIVE");
    }
  }

  private static boolean parseBoolean(String key, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw TFRecordErrors.invalidOption(key, value, "true, false");
    }
    return Boolean.parseBoolean(v);
  }

  private static double parseSamplingRatio(String value) {
    double ratio;
    try {
      ratio = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw TFRecordErrors.invalidOption(SAMPLING_RATIO, value, "a number in (0, 1]");
    }
    if (!(ratio > 0 && ratio <= 1)) {
      throw TFRecordErrors.invalidOption(SAMPLING_RATIO, value, "a number in (0, 1]");
    }
    return ratio;
  }

  private static int parsePositiveInt(String key, String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the accepted range
    }
    throw TFRecordErrors.invalidOption(key, value, "a positive integer");
  }
}
