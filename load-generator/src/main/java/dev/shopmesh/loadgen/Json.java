package dev.shopmesh.loadgen;

import java.util.List;
import java.util.Map;

/** Writes maps, lists, strings, numbers, booleans and nulls as JSON; NaN and infinities as null. */
final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(value, sb, "");
    return sb.append('\n').toString();
  }

  private static void write(Object value, StringBuilder sb, String indent) {
    switch (value) {
      case null -> sb.append("null");
      case Map<?, ?> map -> {
        if (map.isEmpty()) {
          sb.append("{}");
          return;
        }
        sb.append("{\n");
        String inner = indent + "  ";
        int i = 0;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          sb.append(inner);
          string(String.valueOf(e.getKey()), sb);
          sb.append(": ");
          write(e.getValue(), sb, inner);
          sb.append(++i < map.size() ? ",\n" : "\n");
        }
        sb.append(indent).append('}');
      }
      case List<?> list -> {
        if (list.isEmpty()) {
          sb.append("[]");
          return;
        }
        sb.append("[\n");
        String inner = indent + "  ";
        for (int i = 0; i < list.size(); i++) {
          sb.append(inner);
          write(list.get(i), sb, inner);
          sb.append(i + 1 < list.size() ? ",\n" : "\n");
        }
        sb.append(indent).append(']');
      }
      case Double d -> sb.append(d.isNaN() || d.isInfinite() ? "null" : number(d));
      case Float f -> write(f.doubleValue(), sb, indent);
      case Number n -> sb.append(n);
      case Boolean b -> sb.append(b);
      default -> string(value.toString(), sb);
    }
  }

  private static String number(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return Double.toString(Math.round(d * 1e6) / 1e6);
  }

  private static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
