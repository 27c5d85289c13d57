package dev.shopmesh.cluster;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.shopmesh.cluster.Manifests.Obj;
import io.kubernetes.client.openapi.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every built object parsed into the Kubernetes API's own model classes
 * ({@code io.kubernetes:client-java-api}), strictly.
 *
 * <p>The models' generated {@code validateJsonElement} (run by their type adapters on every
 * nested object) rejects unknown fields and missing required fields. Gson on its own is lenient
 * about scalar types, though: it reads {@code "80"} into an int, {@code 5432} into a String and
 * {@code "yes"} into a boolean false. The API server rejects all three, so here the scalar
 * adapters are replaced by ones that accept only the JSON token of their type. Quantities and
 * IntOrString keep the library's own adapters, which accept both forms, as the API server does.
 */
final class StrictModels {
  private static final String MODELS = "io.kubernetes.client.openapi.models.";

  /** API groups whose objects are custom resources, checked by their own schema class. */
  static final Map<String, String> CUSTOM = Map.of("postgresql.cnpg.io/v1", "CloudNativePG");

  private static final Gson STRICT = strictGson();

  private StrictModels() {}

  /** One message per object that does not parse; empty when all do. */
  static List<String> problems(Manifests manifests) {
    List<String> problems = new ArrayList<>();
    for (Obj o : manifests.all()) {
      if (CUSTOM.containsKey(o.apiVersion())) {
        CnpgSchema.check(o).forEach(p -> problems.add(o + ": " + p));
        continue;
      }
      try {
        parse(o);
      } catch (RuntimeException e) {
        problems.add(o + ": " + e.getMessage());
      }
    }
    return problems;
  }

  /** The object as its model class: {@code apps/v1 Deployment} is {@code V1Deployment}. */
  static Object parse(Obj o) {
    Class<?> type = modelClass(o.apiVersion(), o.kind());
    String json = new Gson().toJson(o.doc());
    try {
      return STRICT.fromJson(json, type);
    } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException(type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  static Class<?> modelClass(String apiVersion, String kind) {
    String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
    String name = MODELS + Character.toUpperCase(version.charAt(0)) + version.substring(1) + kind;
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("no model class for " + apiVersion + " " + kind + " (" + name + ")");
    }
  }

  private static Gson strictGson() {
    new JSON(); // sets up the library's Gson with every model's adapter
    return JSON.getGson().newBuilder()
        .registerTypeAdapter(String.class, new Scalar<>(JsonToken.STRING, JsonReader::nextString, JsonWriter::value).nullSafe())
        .registerTypeAdapter(Boolean.class, new Scalar<>(JsonToken.BOOLEAN, JsonReader::nextBoolean, JsonWriter::value).nullSafe())
        .registerTypeAdapter(boolean.class, new Scalar<>(JsonToken.BOOLEAN, JsonReader::nextBoolean, JsonWriter::value))
        .registerTypeAdapter(Integer.class, new Scalar<>(JsonToken.NUMBER, StrictModels::nextInt, (w, v) -> w.value(v)).nullSafe())
        .registerTypeAdapter(int.class, new Scalar<>(JsonToken.NUMBER, StrictModels::nextInt, (w, v) -> w.value(v)))
        .registerTypeAdapter(Long.class, new Scalar<>(JsonToken.NUMBER, JsonReader::nextLong, (w, v) -> w.value(v)).nullSafe())
        .registerTypeAdapter(long.class, new Scalar<>(JsonToken.NUMBER, JsonReader::nextLong, (w, v) -> w.value(v)))
        .create();
  }

  private static int nextInt(JsonReader in) throws IOException {
    return in.nextInt();
  }

  private interface Read<T> {
    T read(JsonReader in) throws IOException;
  }

  private interface Write<T> {
    void write(JsonWriter out, T value) throws IOException;
  }

  /** A scalar that must arrive as exactly one JSON token type. */
  private static final class Scalar<T> extends TypeAdapter<T> {
    private final JsonToken token;
    private final Read<T> read;
    private final Write<T> write;

    Scalar(JsonToken token, Read<T> read, Write<T> write) {
      this.token = token;
      this.read = read;
      this.write = write;
    }

    @Override
    public T read(JsonReader in) throws IOException {
      JsonToken actual = in.peek();
      if (actual != token) {
        String path = in.getPath();
        JsonElement value = com.google.gson.JsonParser.parseReader(in);
        throw new JsonParseException("expected a " + token.name().toLowerCase() + " at " + path + ", got " + value);
      }
      return read.read(in);
    }

    @Override
    public void write(JsonWriter out, T value) throws IOException {
      write.write(out, value);
    }
  }
}
