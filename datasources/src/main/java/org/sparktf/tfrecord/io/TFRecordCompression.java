package org.sparktf.tfrecord.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * Compression of a whole TFRecord stream, as TensorFlow's {@code TFRecordOptions}: GZIP is the gzip
 * format, ZLIB the zlib format (deflate with the zlib header), both over the whole file.
 */
public enum TFRecordCompression {
  NONE(""),
  GZIP(".gz"),
  ZLIB(".zlib");

  private static final int BUFFER = 64 * 1024;
  private final String extension;

  TFRecordCompression(String extension) {
    this.extension = extension;
  }

  /**
   * Parses the {@code compression} option: {@code none}/{@code uncompressed}/empty, {@code gzip},
   * {@code zlib}/{@code deflate}, case-insensitive.
   */
  public static TFRecordCompression fromOption(String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "":
      case "none":
      case "uncompressed":
        return NONE;
      case "gzip":
        return GZIP;
      case "zlib":
      case "deflate":
        return ZLIB;
      default:
        throw invalidOption("compression", value, "one of none, gzip, zlib");
    }
  }

  /**
   * Parses the {@code codec} option: a Hadoop codec class name ({@code GzipCodec} is GZIP, {@code
   * DefaultCodec} and {@code DeflateCodec} are ZLIB) or the short names gzip, deflate, none.
   */
  public static TFRecordCompression fromCodec(String codec) {
    String simple = codec.trim().substring(codec.trim().lastIndexOf('.') + 1);
    switch (simple.toLowerCase(Locale.ROOT)) {
      case "gzipcodec":
      case "gzip":
        return GZIP;
      case "defaultcodec":
      case "deflatecodec":
      case "deflate":
      case "zlib":
        return ZLIB;
      case "none":
      case "uncompressed":
        return NONE;
      default:
        throw invalidOption(
            "codec",
            codec,
            "org.apache.hadoop.io.compress.GzipCodec, DefaultCodec, DeflateCodec, or gzip,"
                + " deflate, none");
    }
  }

  /** By file name: {@code *.gz} is GZIP; {@code *.zlib} and {@code *.deflate} are ZLIB. */
  public static TFRecordCompression fromFileName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".gz")) {
      return GZIP;
    }
    if (lower.endsWith(".zlib") || lower.endsWith(".deflate")) {
      return ZLIB;
    }
    return NONE;
  }

  /** The file name suffix of this compression: "", ".gz" or ".zlib". */
  public String extension() {
    return extension;
  }

  /** Only uncompressed files can be read from an arbitrary offset. */
  public boolean isSplittable() {
    return this == NONE;
  }

  /** Wraps a compressed stream; closing the result closes {@code in}. */
  public InputStream decompress(InputStream in) throws IOException {
    switch (this) {
      case GZIP:
        return new GZIPInputStream(in, BUFFER);
      case ZLIB:
        // With its own Inflater, InflaterInputStream.close() does not free the native zlib state.
        return new InflaterInputStream(in, new java.util.zip.Inflater(), BUFFER) {
          @Override
          public void close() throws IOException {
            try {
              super.close();
            } finally {
              inf.end();
            }
          }
        };
      default:
        return in;
    }
  }

  /** Wraps a stream to compress what is written; closing the result finishes and closes it. */
  public OutputStream compress(OutputStream out) throws IOException {
    switch (this) {
      case GZIP:
        return new GZIPOutputStream(out, BUFFER);
      case ZLIB:
        return new DeflaterOutputStream(out, new java.util.zip.Deflater(), BUFFER) {
          @Override
          public void close() throws IOException {
            try {
              super.close();
            } finally {
              def.end();
            }
          }
        };
      default:
        return out;
    }
  }

  private static IllegalArgumentException invalidOption(String key, String value, String accepted) {
    return new IllegalArgumentException(
        String.format(
            "Invalid %s: '%s'; expected %s (option '%s' of the tfrecord source)",
            key, value, accepted, key));
  }
}
