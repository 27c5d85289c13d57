package dev.shopmesh.edge;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.Code;
import dev.shopmesh.edge.PathTemplate.Binding;
import dev.shopmesh.edge.RouteTable.Route;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds a method's request message from a REST request, as Envoy's transcoder does:
 *
 * <ol>
 *   <li>path variables bind the fields they name;
 *   <li>every query parameter {@code name=value} binds the field at path {@code name} (dot
 *       separated for nested fields; each segment by JSON name first, then by proto name, so
 *       {@code requestId} and {@code request_id} are the same field). A repeated field takes
 *       one value per repetition. A parameter without {@code =} is ignored, as in Envoy; one
 *       that names no field is a 400 ({@code reject_unknown_query_parameters});
 *   <li>the body is proto3 JSON for the field named by the rule's {@code body}, or for the
 *       whole request with {@code body: "*"}; it is ignored when the rule has no body. Unknown
 *       fields, wrong types and malformed JSON are 400. A field that a binding (path or query)
 *       sets and the body sets to a different value is a 400 too, as Envoy answers with
 *       {@code reject_binding_body_field_collisions} (envoy.yaml): without it the body would
 *       win, and {@code POST /v1/orders/A:cancel} with {@code {"orderId": "B"}} would cancel B.
 *       The same value in both is accepted.
 * </ol>
 *
 * <p>Values are converted by the proto3 JSON parser ({@code JsonFormat}), so a query value is
 * read exactly as the same string would be in a JSON body: numbers, enums by name, bools,
 * Timestamps and the like. Messages are {@link DynamicMessage}s of the descriptor set.
 */
final class RequestTranscoder {
  private final JsonFormat.Parser parser;

  RequestTranscoder(TypeRegistry types) {
    this.parser = JsonFormat.parser().usingTypeRegistry(types);
  }

  /** The request message, serialized, or an {@link EdgeError} for a 400. */
  byte[] transcode(Route route, List<Binding> pathBindings, String rawQuery, byte[] body) {
    Descriptor type = route.descriptor().getInputType();
    JsonObject bound = new JsonObject();
    for (Binding b : pathBindings) {
      bind(bound, resolve(type, b.fieldPath(), String.join(".", b.fieldPath()), false), b.value());
    }
    for (String param : rawQuery == null || rawQuery.isEmpty() ? new String[0] : rawQuery.split("&")) {
      int eq = param.indexOf('=');
      if (eq <= 0) {
        continue; // Envoy skips "name" without "=" and "=value"
      }
      String name = param.substring(0, eq);
      List<FieldDescriptor> path = resolve(type, List.of(name.split("\\.", -1)), name, true);
      bind(bound, path, PathTemplate.unescape(param.substring(eq + 1), true));
    }

    DynamicMessage.Builder request = DynamicMessage.newBuilder(type);
    JsonElement json = null;
    if (!route.body().isEmpty()) {
      json = strictJson(body);
      String mismatch =
          route.body().equals("*")
              ? JsonShape.mismatch(json, type, "")
              : JsonShape.fieldMismatch(json, bodyField(type, route.body()), "");
      if (mismatch != null) {
        throw EdgeError.of(400, Code.INVALID_ARGUMENT, "INVALID_REQUEST_BODY", "invalid body: " + mismatch, Map.of());
      }
      rejectCollisions(type, route.body(), bound, json);
    }
    if (!bound.isEmpty()) {
      merge(bound.toString(), request, "parameter");
    }
    if (json != null) {
      String text = json.toString();
      if (route.body().equals("*")) {
        merge(text, request, "body");
      } else {
        mergeBodyField(request, route.body(), text);
      }
    }
    return request.build().toByteArray();
  }

  /**
   * 400 when the body gives a bound field another value than its binding. {@code bound} is the
   * bindings' JSON tree (proto names); the body's JSON sits at {@code bodyPath} of the request
   * ({@code *} for the whole of it). Both values are read by the proto JSON parser into the
   * request type and compared as messages, so {@code "5"} and {@code 5} for an int64 agree.
   */
  private void rejectCollisions(Descriptor type, String bodyPath, JsonObject bound, JsonElement body) {
    List<String> prefix = bodyPath.equals("*") ? List.of() : List.of(bodyPath.split("\\."));
    JsonElement scope = bound;
    for (String name : prefix) {
      scope = scope instanceof JsonObject o ? o.get(name) : null;
    }
    if (scope == null) {
      return;
    }
    List<List<String>> equal = new ArrayList<>();
    compareLeaves(type, prefix, scope, body, new ArrayList<>(), equal);
    for (List<String> full : equal) {
      JsonObject parent = bound;
      for (String name : full.subList(0, full.size() - 1)) {
        parent = parent.getAsJsonObject(name);
      }
      parent.remove(full.getLast());
    }
  }

  private void compareLeaves(
      Descriptor type,
      List<String> prefix,
      JsonElement binding,
      JsonElement body,
      List<String> path,
      List<List<String>> equal) {
    if (body == null || body.isJsonNull()) {
      return;
    }
    if (binding instanceof JsonObject object && body instanceof JsonObject bodyObject) {
      for (var entry : List.copyOf(object.entrySet())) {
        FieldDescriptor field = fieldAt(type, prefix, path, entry.getKey());
        JsonElement inBody = bodyObject.has(field.getJsonName()) ? bodyObject.get(field.getJsonName()) : bodyObject.get(field.getName());
        List<String> next = new ArrayList<>(path);
        next.add(entry.getKey());
        compareLeaves(type, prefix, entry.getValue(), inBody, next, equal);
      }
      return;
    }
    if (binding instanceof JsonObject || body instanceof JsonObject) {
      return; // a shape mismatch: the body's own parse reports it
    }
    List<String> full = new ArrayList<>(prefix);
    full.addAll(path);
    if (valueAt(type, full, binding).equals(valueAt(type, full, body))) {
      equal.add(full); // the same value twice: the body's is kept (a message field is set once)
    } else {
      String field = String.join(".", full);
      throw EdgeError.badField(
          "BINDING_BODY_CONFLICT",
          field,
          "the value of \"" + field + "\" in the body (" + body + ") differs from the one in the path or query ("
              + binding + ")");
    }
  }

  private static FieldDescriptor fieldAt(Descriptor type, List<String> prefix, List<String> path, String name) {
    Descriptor current = type;
    List<String> names = new ArrayList<>(prefix);
    names.addAll(path);
    for (String n : names) {
      current = current.findFieldByName(n).getMessageType();
    }
    return current.findFieldByName(name);
  }

  /** The request with only the field at {@code path} set to {@code value}, or null if unreadable. */
  private Message valueAt(Descriptor type, List<String> path, JsonElement value) {
    JsonElement tree = value;
    for (int i = path.size() - 1; i >= 0; i--) {
      JsonObject wrapper = new JsonObject();
      wrapper.add(path.get(i), tree);
      tree = wrapper;
    }
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    try {
      parser.merge(tree.toString(), builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return builder.build(); // unreadable: the full parse of the same value reports it
    }
    return builder.build();
  }

  /** Finds the fields of a dotted path, by JSON name first and proto name second. */
  private static List<FieldDescriptor> resolve(
      Descriptor type, List<String> names, String original, boolean queryParameter) {
    List<FieldDescriptor> path = new ArrayList<>();
    Descriptor current = type;
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      FieldDescriptor field = find(current, name);
      if (field == null && name.indexOf('%') >= 0) {
        field = find(current, PathTemplate.unescape(name, true));
      }
      if (field == null) {
        String message = "Could not find field \"" + name + "\" in the type \"" + current.getFullName() + "\".";
        throw queryParameter
            ? EdgeError.badField("UNKNOWN_QUERY_PARAMETER", original, message)
            : EdgeError.badField("INVALID_PATH_VARIABLE", original, message);
      }
      path.add(field);
      if (i < names.size() - 1) {
        if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isRepeated()) {
          throw EdgeError.badField(
              "INVALID_QUERY_PARAMETER",
              original,
              "\"" + field.getName() + "\" is not a singular message field, so it cannot have sub-fields");
        }
        current = field.getMessageType();
      }
    }
    return path;
  }

  private static FieldDescriptor find(Descriptor type, String name) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(name)) {
        return f;
      }
    }
    return type.findFieldByName(name);
  }

  /** Sets a binding in a JSON tree keyed by proto names; a repeated field collects values. */
  private static void bind(JsonObject root, List<FieldDescriptor> path, String value) {
    JsonObject node = root;
    for (int i = 0; i < path.size() - 1; i++) {
      String key = path.get(i).getName();
      JsonObject child = node.get(key) instanceof JsonObject existing ? existing : new JsonObject();
      node.add(key, child);
      node = child;
    }
    FieldDescriptor leaf = path.getLast();
    if (leaf.isRepeated()) {
      JsonArray values = node.get(leaf.getName()) instanceof JsonArray existing ? existing : new JsonArray();
      values.add(new JsonPrimitive(value));
      node.add(leaf.getName(), values);
    } else {
      node.add(leaf.getName(), new JsonPrimitive(value));
    }
  }

  private static FieldDescriptor bodyField(Descriptor type, String bodyPath) {
    FieldDescriptor field = null;
    Descriptor current = type;
    for (String name : bodyPath.split("\\.")) {
      field = current.findFieldByName(name);
      if (field == null) {
        throw new IllegalStateException("body field " + bodyPath + " is not in " + type.getFullName());
      }
      current = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? field.getMessageType() : null;
    }
    return field;
  }

  private void mergeBodyField(DynamicMessage.Builder request, String bodyPath, String json) {
    List<String> names = List.of(bodyPath.split("\\."));
    mergeAt(request, names, 0, json);
  }

  private void mergeAt(Message.Builder builder, List<String> names, int i, String json) {
    FieldDescriptor field = builder.getDescriptorForType().findFieldByName(names.get(i));
    if (field == null) {
      throw new IllegalStateException("body field " + names + " is not in " + builder.getDescriptorForType().getFullName());
    }
    boolean last = i == names.size() - 1;
    if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()) {
      DynamicMessage.Builder sub = DynamicMessage.newBuilder(field.getMessageType());
      if (builder.hasField(field)) {
        sub.mergeFrom((Message) builder.getField(field));
      }
      if (last) {
        merge(json, sub, "body");
      } else {
        mergeAt(sub, names, i + 1, json);
      }
      builder.setField(field, sub.build());
    } else if (last) {
      // A scalar or repeated body field: parse {"field": <body>} into the enclosing message.
      merge("{\"" + field.getName() + "\":" + json + "}", builder, "body");
    } else {
      throw new IllegalStateException("body path " + names + " crosses a non-message field");
    }
  }

  private void merge(String json, Message.Builder builder, String what) {
    try {
      parser.merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      String reason = what.equals("body") ? "INVALID_REQUEST_BODY" : "INVALID_PARAMETER";
      throw EdgeError.of(400, Code.INVALID_ARGUMENT, reason, "invalid " + what + ": " + e.getMessage(), Map.of());
    }
  }

  /**
   * The body parsed as one well-formed JSON value (RFC 8259). The proto JSON parser on its own is
   * lenient (single quotes, unquoted names, trailing garbage), whereas Envoy's is not. An empty
   * body is an empty message.
   */
  private static JsonElement strictJson(byte[] body) {
    String json = new String(body, StandardCharsets.UTF_8);
    if (json.isBlank()) {
      return new JsonObject();
    }
    try (JsonReader reader = new JsonReader(new StringReader(json))) {
      reader.setStrictness(Strictness.STRICT);
      JsonElement parsed = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new IOException("unexpected data after the JSON value");
      }
      return parsed;
    } catch (IOException | RuntimeException e) {
      String detail = String.valueOf(e.getMessage());
      // gson's messages end with advice for programmers; keep the part about the input.
      detail = detail.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON ", "");
      int see = detail.indexOf("\nSee ");
      if (see >= 0) {
        detail = detail.substring(0, see);
      }
      throw EdgeError.of(400, Code.INVALID_ARGUMENT, "MALFORMED_JSON", "invalid body: malformed JSON: " + detail, Map.of());
    }
  }
}
