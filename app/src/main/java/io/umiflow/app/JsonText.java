package io.umiflow.app;

import java.util.Locale;

/**
 * A small streaming JSON writer for the summary file: objects, strings, numbers, booleans and null, two-space
 * indented. Written by hand rather than with a JSON library so that the CLI's start-up loads nothing for a
 * file it writes once.
 */
final class JsonText {
  private final StringBuilder out = new StringBuilder();
  /** Per open object: whether it has a member yet. */
  private final java.util.ArrayDeque<boolean[]> open = new java.util.ArrayDeque<>();

  /** Opens the top-level object. */
  JsonText() {
    out.append('{');
    open.push(new boolean[1]);
  }

  JsonText begin(String name) {
    key(name).append('{');
    open.push(new boolean[1]);
    return this;
  }

  JsonText end() {
    boolean any = open.pop()[0];
    if (any) {
      newline(open.size());
    }
    out.append('}');
    return this;
  }

  JsonText field(String name, String value) {
    StringBuilder b = key(name);
    if (value == null) {
      b.append("null");
    } else {
      quote(value);
    }
    return this;
  }

  JsonText field(String name, long value) {
    key(name).append(value);
    return this;
  }

  /** A number, or null when it is not finite. */
  JsonText field(String name, double value) {
    StringBuilder b = key(name);
    if (Double.isFinite(value)) {
      b.append(String.format(Locale.ROOT, "%.3f", value));
    } else {
      b.append("null");
    }
    return this;
  }

  JsonText field(String name, boolean value) {
    key(name).append(value);
    return this;
  }

  /** A count that may be unknown ({@code value < 0} is written as null). */
  JsonText fieldOrNull(String name, long value) {
    StringBuilder b = key(name);
    if (value < 0) {
      b.append("null");
    } else {
      b.append(value);
    }
    return this;
  }

  /** The document, with every object closed. */
  String text() {
    while (!open.isEmpty()) {
      end();
    }
    return out.append('\n').toString();
  }

  private StringBuilder key(String name) {
    boolean[] any = open.peek();
    if (any[0]) {
      out.append(',');
    }
    any[0] = true;
    newline(open.size());
    quote(name);
    return out.append(": ");
  }

  private void newline(int depth) {
    out.append('\n');
    for (int i = 0; i < depth; i++) {
      out.append("  ");
    }
  }

  private void quote(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
