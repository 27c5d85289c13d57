package dev.shopmesh.edge;

import com.google.api.FieldBehavior;
import com.google.api.FieldBehaviorProto;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.shopmesh.edge.PathTemplate.Literal;
import dev.shopmesh.edge.PathTemplate.MultiWildcard;
import dev.shopmesh.edge.PathTemplate.Segment;
import dev.shopmesh.edge.PathTemplate.Variable;
import dev.shopmesh.edge.PathTemplate.Wildcard;
import dev.shopmesh.edge.RouteTable.Route;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * An OpenAPI 3.0 document of the REST API, generated from the same descriptors and http rules
 * that drive the routes, so it cannot drift from what the edge serves.
 *
 * <ul>
 *   <li>one operation per route, {@code operationId} {@code Service_Method}, tagged with the
 *       service; path variables are path parameters; fields that neither the path nor the body
 *       bind are query parameters (nested ones dotted, like {@code a.b}, as the transcoder
 *       accepts them);
 *   <li>schemas follow the proto3 JSON mapping: lowerCamelCase names, 64-bit integers as
 *       strings, enums as string enums, Timestamp as a {@code date-time} string; OUTPUT_ONLY
 *       fields are {@code readOnly}, REQUIRED ones {@code required};
 *   <li>every operation lists its errors as {@code google.rpc.Status};
 *   <li>descriptions are the leading comments of the .proto sources.
 * </ul>
 */
final class OpenApi {
  private static final String REF = "#/components/schemas/";

  private final Contracts contracts;
  private final JsonObject schemas = new JsonObject();
  private final Set<String> pending = new HashSet<>();
  private final Deque<Descriptor> todo = new ArrayDeque<>();

  private OpenApi(Contracts contracts) {
    this.contracts = contracts;
  }

  /** The document as compact JSON. */
  static String generate(Contracts contracts, RouteTable routes) {
    return new GsonBuilder().disableHtmlEscaping().create().toJson(new OpenApi(contracts).document(routes));
  }

  private JsonObject document(RouteTable routes) {
    JsonObject doc = new JsonObject();
    doc.addProperty("openapi", "3.0.3");
    JsonObject info = new JsonObject();
    info.addProperty("title", "shopmesh REST API");
    info.addProperty("version", "v1");
    info.addProperty(
        "description",
        "REST/JSON transcoded to gRPC by the shopmesh edge. Errors are google.rpc.Status objects.");
    doc.add("info", info);

    JsonArray tags = new JsonArray();
    Set<String> tagged = new HashSet<>();
    TreeMap<String, JsonObject> paths = new TreeMap<>();
    List<Route> ordered = new ArrayList<>(routes.routes());
    ordered.sort((a, b) -> a.method().fullName().compareTo(b.method().fullName()));
    for (Route route : ordered) {
      var service = route.descriptor().getService();
      if (tagged.add(service.getName())) {
        JsonObject tag = new JsonObject();
        tag.addProperty("name", service.getName());
        description(tag, contracts.comment(service));
        tags.add(tag);
      }
      String path = openApiPath(route.template());
      paths.computeIfAbsent(path, p -> new JsonObject())
          .add(route.httpMethod().toLowerCase(Locale.ROOT), operation(route));
    }
    doc.add("tags", tags);
    JsonObject pathsJson = new JsonObject();
    paths.forEach(pathsJson::add);
    doc.add("paths", pathsJson);

    ref("google.rpc.Status");
    while (!todo.isEmpty()) {
      Descriptor d = todo.poll();
      schemas.add(d.getFullName(), messageSchema(d, Set.of()));
    }
    JsonObject sorted = new JsonObject();
    new TreeMap<>(schemas.asMap()).forEach(sorted::add);
    JsonObject components = new JsonObject();
    components.add("schemas", sorted);
    doc.add("components", components);
    return doc;
  }

  /** {@code /v1/{name=shelves/*}/books:list} → {@code /v1/{name}/books:list}. */
  static String openApiPath(PathTemplate template) {
    StringBuilder out = new StringBuilder();
    List<Segment> segments = template.segments();
    for (int i = 0; i < segments.size(); i++) {
      Variable variable = null;
      for (Variable v : template.variables()) {
        if (v.start() == i) {
          variable = v;
        }
      }
      out.append('/');
      if (variable != null) {
        out.append('{').append(String.join(".", variable.fieldPath())).append('}');
        int end = variable.end() >= 0 ? variable.end() : segments.size() + variable.end() + 1;
        i = end - 1;
        continue;
      }
      out.append(
          switch (segments.get(i)) {
            case Literal l -> l.text();
            case Wildcard w -> "*";
            case MultiWildcard m -> "**";
          });
    }
    if (out.isEmpty()) {
      out.append('/');
    }
    template.verb().ifPresent(v -> out.append(':').append(v));
    return out.toString();
  }

  private JsonObject operation(Route route) {
    var method = route.descriptor();
    JsonObject op = new JsonObject();
    JsonArray tags = new JsonArray();
    tags.add(method.getService().getName());
    op.add("tags", tags);
    op.addProperty("operationId", method.getService().getName() + "_" + method.getName());
    op.addProperty("summary", method.getName());
    description(op, contracts.comment(method));

    Descriptor input = method.getInputType();
    Set<String> pathFields = new HashSet<>();
    JsonArray parameters = new JsonArray();
    for (Variable v : route.template().variables()) {
      String dotted = String.join(".", v.fieldPath());
      pathFields.add(dotted);
      FieldDescriptor field = field(input, v.fieldPath());
      JsonObject p = new JsonObject();
      p.addProperty("name", dotted);
      p.addProperty("in", "path");
      p.addProperty("required", true);
      p.add("schema", field == null ? string() : fieldSchema(field, false));
      if (field != null) {
        description(p, contracts.comment(field));
      }
      parameters.add(p);
    }
    if (!route.body().equals("*")) {
      queryParameters(input, "", "", route.body(), pathFields, parameters, new HashSet<>());
    }
    if (!parameters.isEmpty()) {
      op.add("parameters", parameters);
    }

    if (!route.body().isEmpty()) {
      JsonObject schema;
      if (route.body().equals("*")) {
        schema = messageSchema(input, pathFields);
      } else {
        FieldDescriptor bodyField = field(input, List.of(route.body().split("\\.")));
        schema = fieldSchema(bodyField, false);
      }
      JsonObject body = new JsonObject();
      body.addProperty("required", true);
      body.add("content", jsonContent(schema));
      op.add("requestBody", body);
    }

    JsonObject responses = new JsonObject();
    JsonObject ok = new JsonObject();
    ok.addProperty("description", "OK");
    ok.add("content", jsonContent(ref(method.getOutputType().getFullName())));
    responses.add("200", ok);
    responses.add("400", errorResponse("Invalid argument, failed precondition or out of range; also an unknown query parameter or a malformed body"));
    responses.add("404", errorResponse("Not found"));
    responses.add("default", errorResponse("Any other error, as a google.rpc.Status"));
    op.add("responses", responses);
    return op;
  }

  /** Scalar, enum and well-known-type fields not bound by path or body, recursively. */
  private void queryParameters(
      Descriptor type,
      String protoPrefix,
      String jsonPrefix,
      String body,
      Set<String> pathFields,
      JsonArray out,
      Set<String> seen) {
    if (!seen.add(type.getFullName())) {
      return; // a recursive message: its fields cannot all be listed
    }
    for (FieldDescriptor f : type.getFields()) {
      String protoPath = protoPrefix + f.getName();
      String jsonPath = jsonPrefix + f.getJsonName();
      if (pathFields.contains(protoPath) || protoPath.equals(body) || f.isMapField()) {
        continue;
      }
      boolean message = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
      if (message && !wellKnownScalar(f.getMessageType())) {
        if (!f.isRepeated()) {
          queryParameters(f.getMessageType(), protoPath + ".", jsonPath + ".", body, pathFields, out, seen);
        }
        continue;
      }
      JsonObject p = new JsonObject();
      p.addProperty("name", jsonPath);
      p.addProperty("in", "query");
      p.addProperty("required", false);
      p.add("schema", fieldSchema(f, false));
      if (f.isRepeated()) {
        p.addProperty("style", "form");
        p.addProperty("explode", true);
      }
      description(p, contracts.comment(f));
      out.add(p);
    }
    seen.remove(type.getFullName());
  }

  private static FieldDescriptor field(Descriptor type, List<String> path) {
    Descriptor current = type;
    FieldDescriptor f = null;
    for (String name : path) {
      if (current == null) {
        return null;
      }
      f = current.findFieldByName(name);
      if (f == null) {
        return null;
      }
      current = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? f.getMessageType() : null;
    }
    return f;
  }

  private JsonObject messageSchema(Descriptor d, Set<String> omit) {
    JsonObject schema = new JsonObject();
    schema.addProperty("type", "object");
    description(schema, contracts.comment(d));
    JsonObject properties = new JsonObject();
    JsonArray required = new JsonArray();
    for (FieldDescriptor f : d.getFields()) {
      if (omit.contains(f.getName())) {
        continue;
      }
      JsonObject p = fieldSchema(f, true);
      properties.add(f.getJsonName(), p);
      var behaviors = f.getOptions().getExtension(FieldBehaviorProto.fieldBehavior);
      if (behaviors.contains(FieldBehavior.REQUIRED)) {
        required.add(f.getJsonName());
      }
    }
    schema.add("properties", properties);
    if (!required.isEmpty()) {
      schema.add("required", required);
    }
    return schema;
  }

  private JsonObject fieldSchema(FieldDescriptor f, boolean withDocs) {
    JsonObject schema;
    if (f.isMapField()) {
      schema = new JsonObject();
      schema.addProperty("type", "object");
      schema.add("additionalProperties", singleSchema(f.getMessageType().findFieldByName("value")));
    } else if (f.isRepeated()) {
      schema = new JsonObject();
      schema.addProperty("type", "array");
      schema.add("items", singleSchema(f));
    } else {
      schema = singleSchema(f);
    }
    if (withDocs) {
      String doc = contracts.comment(f);
      var behaviors = f.getOptions().getExtension(FieldBehaviorProto.fieldBehavior);
      if (schema.has("$ref")) {
        // OpenAPI 3.0 ignores siblings of $ref: wrap it to keep the description.
        if (!doc.isEmpty() || behaviors.contains(FieldBehavior.OUTPUT_ONLY)) {
          JsonObject wrapped = new JsonObject();
          JsonArray allOf = new JsonArray();
          allOf.add(schema);
          wrapped.add("allOf", allOf);
          schema = wrapped;
        }
      }
      description(schema, doc);
      if (behaviors.contains(FieldBehavior.OUTPUT_ONLY)) {
        schema.addProperty("readOnly", true);
      }
    }
    return schema;
  }

  private JsonObject singleSchema(FieldDescriptor f) {
    return switch (f.getType()) {
      case DOUBLE -> typed("number", "double");
      case FLOAT -> typed("number", "float");
      case INT64, SINT64, SFIXED64 -> typed("string", "int64");
      case UINT64, FIXED64 -> typed("string", "uint64");
      case INT32, SINT32, SFIXED32 -> typed("integer", "int32");
      case UINT32, FIXED32 -> typed("integer", "int64");
      case BOOL -> typed("boolean", null);
      case STRING -> string();
      case BYTES -> typed("string", "byte");
      case ENUM -> enumSchema(f.getEnumType());
      case MESSAGE, GROUP -> messageRef(f.getMessageType());
    };
  }

  private JsonObject messageRef(Descriptor d) {
    JsonObject wkt = wellKnown(d);
    return wkt != null ? wkt : ref(d.getFullName());
  }

  private static boolean wellKnownScalar(Descriptor d) {
    return switch (d.getFullName()) {
      case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
          "google.protobuf.StringValue", "google.protobuf.BytesValue", "google.protobuf.BoolValue",
          "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.Int64Value",
          "google.protobuf.UInt64Value", "google.protobuf.FloatValue", "google.protobuf.DoubleValue" -> true;
      default -> false;
    };
  }

  /** The proto3 JSON form of the well-known types, or null for an ordinary message. */
  private static JsonObject wellKnown(Descriptor d) {
    return switch (d.getFullName()) {
      case "google.protobuf.Timestamp" -> typed("string", "date-time");
      case "google.protobuf.Duration" -> {
        JsonObject s = string();
        s.addProperty("pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$");
        yield s;
      }
      case "google.protobuf.FieldMask" -> string();
      case "google.protobuf.StringValue" -> nullable(string());
      case "google.protobuf.BytesValue" -> nullable(typed("string", "byte"));
      case "google.protobuf.BoolValue" -> nullable(typed("boolean", null));
      case "google.protobuf.Int32Value" -> nullable(typed("integer", "int32"));
      case "google.protobuf.UInt32Value" -> nullable(typed("integer", "int64"));
      case "google.protobuf.Int64Value" -> nullable(typed("string", "int64"));
      case "google.protobuf.UInt64Value" -> nullable(typed("string", "uint64"));
      case "google.protobuf.FloatValue" -> nullable(typed("number", "float"));
      case "google.protobuf.DoubleValue" -> nullable(typed("number", "double"));
      case "google.protobuf.Empty" -> typed("object", null);
      case "google.protobuf.Struct" -> {
        JsonObject s = typed("object", null);
        s.add("additionalProperties", new JsonObject());
        yield s;
      }
      case "google.protobuf.Value" -> new JsonObject();
      case "google.protobuf.ListValue" -> {
        JsonObject s = typed("array", null);
        s.add("items", new JsonObject());
        yield s;
      }
      case "google.protobuf.Any" -> {
        JsonObject s = typed("object", null);
        JsonObject props = new JsonObject();
        JsonObject type = string();
        type.addProperty("description", "The type of the message, such as type.googleapis.com/google.rpc.ErrorInfo.");
        props.add("@type", type);
        s.add("properties", props);
        s.addProperty("additionalProperties", true);
        s.addProperty("description", "A message of any type, with its fields beside @type.");
        yield s;
      }
      default -> null;
    };
  }

  private JsonObject enumSchema(EnumDescriptor e) {
    JsonObject s = string();
    JsonArray values = new JsonArray();
    StringBuilder doc = new StringBuilder(contracts.comment(e));
    for (EnumValueDescriptor v : e.getValues()) {
      values.add(v.getName());
      String vd = contracts.comment(v);
      if (!vd.isEmpty()) {
        doc.append(doc.isEmpty() ? "" : "\n").append("- ").append(v.getName()).append(": ").append(vd);
      }
    }
    s.add("enum", values);
    description(s, doc.toString());
    return s;
  }

  private JsonObject ref(String fullName) {
    if (pending.add(fullName)) {
      contracts.message(fullName).ifPresent(todo::add);
    }
    JsonObject r = new JsonObject();
    r.addProperty("$ref", REF + fullName);
    return r;
  }

  private JsonObject errorResponse(String description) {
    JsonObject r = new JsonObject();
    r.addProperty("description", description);
    r.add("content", jsonContent(ref("google.rpc.Status")));
    return r;
  }

  private static JsonObject jsonContent(JsonObject schema) {
    JsonObject media = new JsonObject();
    media.add("schema", schema);
    JsonObject content = new JsonObject();
    content.add("application/json", media);
    return content;
  }

  private static JsonObject typed(String type, String format) {
    JsonObject s = new JsonObject();
    s.addProperty("type", type);
    if (format != null) {
      s.addProperty("format", format);
    }
    return s;
  }

  private static JsonObject string() {
    return typed("string", null);
  }

  private static JsonObject nullable(JsonObject s) {
    s.addProperty("nullable", true);
    return s;
  }

  private static void description(JsonObject target, String text) {
    if (text != null && !text.isEmpty()) {
      target.addProperty("description", text);
    }
  }
}
