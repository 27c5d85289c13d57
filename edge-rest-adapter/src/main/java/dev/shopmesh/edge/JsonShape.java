package dev.shopmesh.edge;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.Map;

/**
 * Checks that a JSON body has the shape of the proto3 JSON mapping before protobuf-java's
 * {@code JsonFormat} reads it. {@code JsonFormat} coerces more than the C++ parser in Envoy
 * does: a one-element array or a number where a string belongs, an object read through
 * {@code getAsString}. Here a string field takes a JSON string, a number field a number or a
 * string, a bool field {@code true}/{@code false}, a message an object, a repeated field an
 * array, a map an object, and {@code null} any field. Unknown field names are left to
 * {@code JsonFormat}, which rejects them.
 */
final class JsonShape {
  private JsonShape() {}

  /** Returns a description of the first mismatch, or null when the shape is right. */
  static String mismatch(JsonElement json, Descriptor type, String path) {
    String wkt = wellKnown(json, type, path);
    if (wkt != null || isWellKnown(type)) {
      return wkt;
    }
    if (!json.isJsonObject()) {
      return expected(path, "an object", json);
    }
    for (Map.Entry<String, JsonElement> e : json.getAsJsonObject().entrySet()) {
      FieldDescriptor f = field(type, e.getKey());
      if (f == null || e.getValue().isJsonNull()) {
        continue;
      }
      String where = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      String m = fieldMismatch(e.getValue(), f, where);
      if (m != null) {
        return m;
      }
    }
    return null;
  }

  /** The same check for the value of one field. */
  static String fieldMismatch(JsonElement json, FieldDescriptor f, String path) {
    if (json.isJsonNull()) {
      return null;
    }
    if (f.isMapField()) {
      if (!json.isJsonObject()) {
        return expected(path, "an object (map)", json);
      }
      FieldDescriptor value = f.getMessageType().findFieldByName("value");
      for (Map.Entry<String, JsonElement> e : json.getAsJsonObject().entrySet()) {
        String m = single(e.getValue(), value, path + "." + e.getKey());
        if (m != null) {
          return m;
        }
      }
      return null;
    }
    if (f.isRepeated()) {
      if (!json.isJsonArray()) {
        return expected(path, "an array", json);
      }
      JsonArray array = json.getAsJsonArray();
      for (int i = 0; i < array.size(); i++) {
        String m = single(array.get(i), f, path + "[" + i + "]");
        if (m != null) {
          return m;
        }
      }
      return null;
    }
    return single(json, f, path);
  }

  private static String single(JsonElement json, FieldDescriptor f, String path) {
    return switch (f.getJavaType()) {
      case STRING, BYTE_STRING -> isString(json) ? null : expected(path, "a string", json);
      case INT, LONG, FLOAT, DOUBLE -> isNumber(json) || isString(json) ? null : expected(path, "a number", json);
      case BOOLEAN -> json.isJsonPrimitive() && json.getAsJsonPrimitive().isBoolean() ? null : expected(path, "true or false", json);
      case ENUM -> isString(json) || isNumber(json) ? null : expected(path, "an enum name", json);
      case MESSAGE -> json.isJsonNull() ? null : mismatch(json, f.getMessageType(), path);
    };
  }

  private static boolean isWellKnown(Descriptor type) {
    return type.getFile().getPackage().equals("google.protobuf");
  }

  /** The JSON forms of the well-known types; null when fine or not a well-known type. */
  private static String wellKnown(JsonElement json, Descriptor type, String path) {
    return switch (type.getFullName()) {
      case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask" ->
          isString(json) ? null : expected(path, "a string", json);
      case "google.protobuf.StringValue", "google.protobuf.BytesValue" ->
          isString(json) || json.isJsonNull() ? null : expected(path, "a string", json);
      case "google.protobuf.BoolValue" ->
          json.isJsonNull() || json.isJsonPrimitive() && json.getAsJsonPrimitive().isBoolean()
              ? null
              : expected(path, "true or false", json);
      case "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.Int64Value",
          "google.protobuf.UInt64Value", "google.protobuf.FloatValue", "google.protobuf.DoubleValue" ->
          json.isJsonNull() || isNumber(json) || isString(json) ? null : expected(path, "a number", json);
      case "google.protobuf.Struct", "google.protobuf.Any", "google.protobuf.Empty" ->
          json.isJsonObject() ? null : expected(path, "an object", json);
      case "google.protobuf.ListValue" -> json.isJsonArray() ? null : expected(path, "an array", json);
      default -> null; // google.protobuf.Value takes anything
    };
  }

  private static FieldDescriptor field(Descriptor type, String name) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(name)) {
        return f;
      }
    }
    return type.findFieldByName(name);
  }

  private static boolean isString(JsonElement json) {
    return json.isJsonPrimitive() && ((JsonPrimitive) json).isString();
  }

  private static boolean isNumber(JsonElement json) {
    return json.isJsonPrimitive() && ((JsonPrimitive) json).isNumber();
  }

  private static String expected(String path, String what, JsonElement got) {
    String kind =
        got.isJsonObject() ? "an object"
            : got.isJsonArray() ? "an array"
            : got.isJsonNull() ? "null"
            : got.getAsJsonPrimitive().isString() ? "a string"
            : got.getAsJsonPrimitive().isNumber() ? "a number"
            : "a boolean";
    return (path.isEmpty() ? "the body" : "\"" + path + "\"") + " must be " + what + ", not " + kind;
  }
}
