package org.sparktf.notebooks;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One paragraph's output as Zeppelin keeps it: a list of messages (type TEXT, TABLE or HTML, and
 * data). What the code prints accumulates into a TEXT message; a table ({@code z.show}) closes it,
 * so that text printed before and after a table stays on its side of it.
 */
final class ParagraphOutput {
  /** One result message. */
  record Message(String type, String data) {}

  private final List<Message> messages = new ArrayList<>();
  private final ByteArrayOutputStream text = new ByteArrayOutputStream();

  /** The stream that REPL output, {@code println} and {@code System.out} write to. */
  final OutputStream stream =
      new OutputStream() {
        @Override
        public void write(int b) {
          synchronized (ParagraphOutput.this) {
            text.write(b);
          }
        }

        @Override
        public void write(byte[] b, int off, int len) {
          synchronized (ParagraphOutput.this) {
            text.write(b, off, len);
          }
        }
      };

  synchronized void table(String tsv) {
    flushText();
    messages.add(new Message("TABLE", tsv));
  }

  synchronized void html(String html) {
    flushText();
    messages.add(new Message("HTML", html));
  }

  /** The text printed since the last message, for error reports. */
  synchronized String pendingText() {
    return text.toString(StandardCharsets.UTF_8);
  }

  synchronized List<Message> finish() {
    flushText();
    return List.copyOf(messages);
  }

  private void flushText() {
    String pending = text.toString(StandardCharsets.UTF_8);
    text.reset();
    if (!pending.isBlank()) {
      messages.add(new Message("TEXT", pending));
    }
  }
}
