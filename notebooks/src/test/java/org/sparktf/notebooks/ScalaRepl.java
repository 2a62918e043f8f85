package org.sparktf.notebooks;

import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import scala.Console$;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

/**
 * Scala 2.12's interpreter set up as Spark's REPL (and Zeppelin's %spark) sets it up: class-based
 * wrappers, so that closures serialize, and compiled lines written to {@code classDir}, which the
 * driver serves to the executors ({@code spark.repl.class.outputDir}). Each {@link #run} compiles
 * and runs one paragraph as a whole, as Zeppelin does, with the REPL's echo, {@code println} and
 * {@code System.out} going to that paragraph's output.
 */
final class ScalaRepl implements AutoCloseable {
  private final Redirect redirect = new Redirect();
  private final IMain interpreter;

  ScalaRepl(Path classDir) {
    Settings settings = new Settings();
    settings.processArgumentString(
        "-usejavacp -Yrepl-class-based -Yrepl-outdir " + classDir.toAbsolutePath());
    interpreter =
        new IMain(
            settings,
            new PrintWriter(new OutputStreamWriter(redirect, StandardCharsets.UTF_8), true));
    interpreter.initializeSynchronous();
  }

  /** Compiles and runs {@code code}; returns whether it compiled, ran and did not throw. */
  boolean run(String code, ParagraphOutput output) {
    redirect.target = output.stream;
    PrintStream out = new PrintStream(output.stream, true, StandardCharsets.UTF_8);
    PrintStream systemOut = System.out;
    Thread thread = Thread.currentThread();
    ClassLoader contextLoader = thread.getContextClassLoader();
    System.setOut(out);
    // The driver deserializes task results that may hold classes of earlier paragraphs.
    thread.setContextClassLoader(interpreter.classLoader());
    try {
      Results.Result result =
          Console$.MODULE$.withOut(out, () -> interpreter.interpret(code + "\n"));
      return result == Results.Success$.MODULE$;
    } finally {
      out.flush();
      System.setOut(systemOut);
      thread.setContextClassLoader(contextLoader);
      redirect.target = OutputStream.nullOutputStream();
    }
  }

  @Override
  public void close() {
    interpreter.close();
  }

  /** The interpreter's writer is fixed at creation; this forwards it to the running paragraph. */
  private static final class Redirect extends OutputStream {
    volatile OutputStream target = OutputStream.nullOutputStream();

    @Override
    public void write(int b) throws java.io.IOException {
      target.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      target.write(b, off, len);
    }
  }
}
