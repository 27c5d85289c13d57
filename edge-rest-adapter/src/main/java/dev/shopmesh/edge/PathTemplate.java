package dev.shopmesh.edge;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code google.api.http} path template, parsed and matched the way Envoy's transcoder does it
 * (grpc-httpjson-transcoding's {@code HttpTemplate} and {@code PathMatcher}):
 *
 * <pre>
 * Template = "/" Segments [ Verb ] ;
 * Segments = Segment { "/" Segment } ;
 * Segment  = "*" | "**" | LITERAL | Variable ;
 * Variable = "{" FieldPath [ "=" Segments ] "}" ;
 * FieldPath = IDENT { "." IDENT } ;
 * Verb     = ":" LITERAL ;
 * </pre>
 *
 * <p>Literals match the raw (still percent-encoded) request segment. A variable that binds one
 * segment is fully percent-decoded ({@code %2F} becomes {@code /}); a variable that binds several
 * segments ({@code **} or {@code x=a/*}) keeps RFC 6570 reserved characters encoded, like
 * Envoy's default {@code ALL_CHARACTERS_EXCEPT_RESERVED}. {@code **} may only be followed by
 * literals.
 */
public final class PathTemplate {
  /** One segment of a template. */
  public sealed interface Segment permits Literal, Wildcard, MultiWildcard {}

  public record Literal(String text) implements Segment {}

  /** {@code *}: exactly one segment. */
  public record Wildcard() implements Segment {}

  /** {@code **}: any number of segments, including none. */
  public record MultiWildcard() implements Segment {}

  /**
   * A variable over segments {@code [start, end)}; when {@code end} is negative it counts from
   * the end of the request path ({@code -1} is the end itself), as after {@code **}.
   */
  public record Variable(List<String> fieldPath, int start, int end) {}

  /** A variable's value from one request. */
  public record Binding(List<String> fieldPath, String value) {}

  private static final String RESERVED = ":/?#[]@!$&'()*+,;=";

  private final String text;
  private final List<Segment> segments;
  private final List<Variable> variables;
  private final String verb;

  private PathTemplate(String text, List<Segment> segments, List<Variable> variables, String verb) {
    this.text = text;
    this.segments = List.copyOf(segments);
    this.variables = List.copyOf(variables);
    this.verb = verb;
  }

  /**
   * Parses a template such as {@code /v1/orders/{order_id}:cancel}.
   *
   * @throws IllegalArgumentException when the template is malformed
   */
  public static PathTemplate parse(String template) {
    return new Parser(template).parse();
  }

  public List<Segment> segments() {
    return segments;
  }

  public List<Variable> variables() {
    return variables;
  }

  /** The custom verb without its colon, or empty. */
  public Optional<String> verb() {
    return Optional.ofNullable(verb);
  }

  @Override
  public String toString() {
    return text;
  }

  /**
   * Matches the segments of a request path (already split at {@code /}, with the verb removed)
   * and returns the variables' values, or empty when the path does not match.
   */
  public Optional<List<Binding>> match(List<String> parts) {
    if (!matches(0, 0, parts)) {
      return Optional.empty();
    }
    List<Binding> bindings = new ArrayList<>();
    for (Variable v : variables) {
      int end = v.end() >= 0 ? v.end() : parts.size() + v.end() + 1;
      boolean multi = end - v.start() > 1 || v.end() < 0;
      StringBuilder value = new StringBuilder();
      for (int i = v.start(); i < end; i++) {
        if (i > v.start()) {
          value.append('/');
        }
        value.append(unescape(parts.get(i), !multi));
      }
      bindings.add(new Binding(v.fieldPath(), value.toString()));
    }
    return Optional.of(bindings);
  }

  private boolean matches(int seg, int part, List<String> parts) {
    if (seg == segments.size()) {
      return part == parts.size();
    }
    return switch (segments.get(seg)) {
      case Literal l -> part < parts.size() && l.text().equals(parts.get(part)) && matches(seg + 1, part + 1, parts);
      case Wildcard w -> part < parts.size() && matches(seg + 1, part + 1, parts);
      // Only literals follow "**": it takes everything but the segments they need.
      case MultiWildcard m -> {
        int rest = segments.size() - seg - 1;
        int take = parts.size() - part - rest;
        yield take >= 0 && matches(seg + 1, part + take, parts);
      }
    };
  }

  /**
   * How specific this template is, for choosing among several that match one path: at the
   * first segment where two differ, a literal beats {@code *}, which beats {@code **} (the
   * order in which Envoy's path trie tries children).
   */
  static int compareSpecificity(PathTemplate a, PathTemplate b) {
    int n = Math.min(a.segments.size(), b.segments.size());
    for (int i = 0; i < n; i++) {
      int c = Integer.compare(rank(a.segments.get(i)), rank(b.segments.get(i)));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(b.segments.size(), a.segments.size());
  }

  private static int rank(Segment s) {
    return switch (s) {
      case Literal l -> 0;
      case Wildcard w -> 1;
      case MultiWildcard m -> 2;
    };
  }

  /**
   * Percent-decodes {@code s}. With {@code all} false, escapes of RFC 6570 reserved characters
   * stay as they are. Malformed escapes are kept literally; bytes decode as UTF-8.
   */
  public static String unescape(String s, boolean all) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          int b = hi * 16 + lo;
          if (all || RESERVED.indexOf(b) < 0) {
            out.write(b);
            i += 2;
            continue;
          }
        }
      }
      byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
      if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
        bytes = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
        i++;
      }
      out.writeBytes(bytes);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static final class Parser {
    private final String text;
    private int pos;
    private final List<Segment> segments = new ArrayList<>();
    private final List<Variable> variables = new ArrayList<>();
    private boolean sawMultiWildcard;
    private String verb;

    Parser(String text) {
      this.text = text;
    }

    PathTemplate parse() {
      if (!text.startsWith("/")) {
        throw error("must start with /");
      }
      if (text.equals("/")) {
        return new PathTemplate(text, List.of(), List.of(), null);
      }
      pos = 1;
      segments(false);
      if (pos < text.length() && text.charAt(pos) == ':') {
        pos++;
        verb = literal();
      }
      if (pos != text.length()) {
        throw error("unexpected '" + text.charAt(pos) + "' at " + pos);
      }
      // Variables after "**" count from the end of the path.
      int multi = -1;
      for (int i = 0; i < segments.size(); i++) {
        if (segments.get(i) instanceof MultiWildcard) {
          multi = i;
        }
      }
      int multiAt = multi;
      // (Only literals follow "**", so no variable starts after it.)
      if (multi >= 0) {
        int size = segments.size();
        variables.replaceAll(
            v -> v.end() > multiAt ? new Variable(v.fieldPath(), v.start(), v.end() - size - 1) : v);
      }
      return new PathTemplate(text, segments, variables, verb);
    }

    private void segments(boolean inVariable) {
      while (true) {
        segment(inVariable);
        if (pos < text.length() && text.charAt(pos) == '/') {
          pos++;
          continue;
        }
        return;
      }
    }

    private void segment(boolean inVariable) {
      if (pos >= text.length()) {
        throw error("empty segment at the end");
      }
      char c = text.charAt(pos);
      if (sawMultiWildcard && (c == '*' || c == '{')) {
        throw error("only literals may follow **");
      }
      if (text.startsWith("**", pos)) {
        pos += 2;
        sawMultiWildcard = true;
        segments.add(new MultiWildcard());
      } else if (c == '*') {
        pos++;
        segments.add(new Wildcard());
      } else if (c == '{') {
        if (inVariable) {
          throw error("nested variable at " + pos);
        }
        pos++;
        variable();
      } else {
        segments.add(new Literal(literal()));
      }
    }

    private void variable() {
      int nameStart = pos;
      while (pos < text.length() && "=}".indexOf(text.charAt(pos)) < 0) {
        pos++;
      }
      String name = text.substring(nameStart, pos);
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
        throw error("bad variable name '" + name + "'");
      }
      int start = segments.size();
      if (pos < text.length() && text.charAt(pos) == '=') {
        pos++;
        segments(true);
      } else {
        segments.add(new Wildcard());
      }
      if (pos >= text.length() || text.charAt(pos) != '}') {
        throw error("unclosed variable '" + name + "'");
      }
      pos++;
      variables.add(new Variable(List.of(name.split("\\.")), start, segments.size()));
    }

    private String literal() {
      int start = pos;
      while (pos < text.length() && "/{}*:=".indexOf(text.charAt(pos)) < 0) {
        pos++;
      }
      if (pos == start) {
        throw error("empty literal at " + start);
      }
      return text.substring(start, pos);
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("bad path template '" + text + "': " + what);
    }
  }
}
