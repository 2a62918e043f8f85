package org.sparktf.examples.mnist;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of the MNIST files (and of Fashion-MNIST, which reuses it): a big-endian header
 * (magic number 0x0000TTDD, TT the element type, DD the number of dimensions; then one int per
 * dimension), followed by the unsigned bytes. Images are 0x00000803 ([count, rows, cols]), labels
 * 0x00000801 ([count]). Readers accept gzip-compressed or plain files, told apart by their first
 * bytes rather than by their names.
 */
public final class Idx {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;
  private static final int GZIP_MAGIC = 0x1f8b;

  private Idx() {}

  /** Unsigned 8-bit images, row-major: image i's pixels are {@code pixels[i*rows*cols ...]}. */
  public record Images(int count, int rows, int cols, byte[] pixels) {
    /** Pixel {@code p} of image {@code i} in [0, 255]. */
    public int pixel(int i, int p) {
      return pixels[i * rows * cols + p] & 0xff;
    }
  }

  /**
   * Reads an images file (idx3-ubyte, gzip or plain); {@code name} is only used in messages. The
   * caller closes {@code in}.
   */
  public static Images readImages(InputStream in, String name) throws IOException {
    DataInputStream data = open(in);
    int magic = readHeaderInt(data, name, "the magic number");
    checkMagic(magic, IMAGES_MAGIC, name, "images (idx3-ubyte)");
    int count = readDimension(data, name, "image count");
    int rows = readDimension(data, name, "row count");
    int cols = readDimension(data, name, "column count");
    long size = (long) count * rows * cols;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "Invalid IDX file "
              + name
              + ": "
              + count
              + " images of "
              + rows
              + "x"
              + cols
              + " do not fit in one array; split the file");
    }
    byte[] pixels = readBody(data, (int) size, name, count + " images of " + rows + "x" + cols);
    return new Images(count, rows, cols, pixels);
  }

  /** Reads a labels file (idx1-ubyte, gzip or plain). The caller closes {@code in}. */
  public static byte[] readLabels(InputStream in, String name) throws IOException {
    DataInputStream data = open(in);
    int magic = readHeaderInt(data, name, "the magic number");
    checkMagic(magic, LABELS_MAGIC, name, "labels (idx1-ubyte)");
    int count = readDimension(data, name, "label count");
    return readBody(data, count, name, count + " labels");
  }

  /** Writes images as a plain IDX file (wrap {@code out} in a GZIPOutputStream for .gz). */
  public static void writeImages(OutputStream out, Images images) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(IMAGES_MAGIC);
    data.writeInt(images.count());
    data.writeInt(images.rows());
    data.writeInt(images.cols());
    data.write(images.pixels());
    data.flush();
  }

  /** Writes labels as a plain IDX file. */
  public static void writeLabels(OutputStream out, byte[] labels) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(LABELS_MAGIC);
    data.writeInt(labels.length);
    data.write(labels);
    data.flush();
  }

  private static DataInputStream open(InputStream in) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    buffered.mark(2);
    int first = buffered.read();
    int second = buffered.read();
    buffered.reset();
    boolean gzip = ((first << 8) | second) == GZIP_MAGIC;
    return new DataInputStream(gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered);
  }

  private static int readHeaderInt(DataInputStream data, String name, String what)
      throws IOException {
    try {
      return data.readInt();
    } catch (EOFException e) {
      throw new IllegalArgumentException(
          "Invalid IDX file "
              + name
              + ": it ends before "
              + what
              + " in its header; the file is truncated or not an IDX file",
          e);
    }
  }

  private static int readDimension(DataInputStream data, String name, String what)
      throws IOException {
    int value = readHeaderInt(data, name, "the " + what);
    if (value < 0) {
      throw new IllegalArgumentException(
          "Invalid IDX file " + name + ": negative " + what + " " + value + " in its header");
    }
    return value;
  }

  private static void checkMagic(int magic, int expected, String name, String kind) {
    if (magic == expected) {
      return;
    }
    String found =
        magic == IMAGES_MAGIC
            ? " (an images file)"
            : magic == LABELS_MAGIC ? " (a labels file)" : " (not an unsigned-byte IDX file)";
    throw new IllegalArgumentException(
        String.format(
            "Invalid IDX file %s: magic number 0x%08x%s; expected 0x%08x for %s."
                + " Check that the images and labels paths are not swapped and that the file is"
                + " an MNIST-format file",
            name, magic, found, expected, kind));
  }

  private static byte[] readBody(DataInputStream data, int size, String name, String what)
      throws IOException {
    byte[] body = new byte[size];
    int read = 0;
    while (read < size) {
      int n;
      try {
        n = data.read(body, read, size - read);
      } catch (EOFException e) {
        n = -1; // GZIPInputStream signals a cut-off compressed stream this way.
      }
      if (n < 0) {
        throw new IllegalArgumentException(
            "Invalid IDX file "
                + name
                + ": truncated; its header announces "
                + what
                + " ("
                + size
                + " bytes) but only "
                + read
                + " follow. Download the file again");
      }
      read += n;
    }
    return body;
  }
}
