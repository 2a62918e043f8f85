package org.sparktf.core.internal;

import java.util.ArrayDeque;
import java.util.Deque;

/** The last lines a node process printed, kept for error messages. Thread-safe. */
final class OutputTail {
  private final int maxLines;
  private final Deque<String> lines = new ArrayDeque<>();

  OutputTail(int maxLines) {
    this.maxLines = maxLines;
  }

  synchronized void add(String line) {
    if (lines.size() == maxLines) {
      lines.removeFirst();
    }
    lines.addLast(line.length() > 2000 ? line.substring(0, 2000) + "..." : line);
  }

  @Override
  public synchronized String toString() {
    return lines.isEmpty() ? "(no output)" : String.join("\n", lines);
  }
}
