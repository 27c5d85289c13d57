package dev.shopmesh.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The objects of one {@code kubectl kustomize} output, as plain maps, with a few look-ups. */
final class Manifests {
  /** One object: its kind, name and the whole document. */
  record Obj(String apiVersion, String kind, String name, Map<String, Object> doc) {
    @Override
    public String toString() {
      return kind + "/" + name;
    }

    Map<String, Object> spec() {
      return map(doc.get("spec"));
    }

    Map<String, String> labels() {
      return strings(map(map(doc.get("metadata")).get("labels")));
    }

    /** The pod template of a workload (Deployment, StatefulSet), else empty. */
    Optional<Map<String, Object>> podTemplate() {
      if (!WORKLOADS.contains(kind)) {
        return Optional.empty();
      }
      return Optional.of(map(spec().get("template")));
    }

    Map<String, String> podLabels() {
      return podTemplate().map(t -> strings(map(map(t.get("metadata")).get("labels")))).orElse(Map.of());
    }

    Map<String, Object> podSpec() {
      return podTemplate().map(t -> map(t.get("spec"))).orElse(Map.of());
    }

    List<Map<String, Object>> containers() {
      return maps(podSpec().get("containers"));
    }
  }

  static final List<String> WORKLOADS = List.of("Deployment", "StatefulSet");

  private final List<Obj> objects;

  private Manifests(List<Obj> objects) {
    this.objects = objects;
  }

  static Manifests parse(String yaml) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setCodePointLimit(16 * 1024 * 1024);
    List<Obj> objects = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(options)).loadAll(yaml)) {
      if (doc == null) {
        continue;
      }
      Map<String, Object> m = map(doc);
      objects.add(new Obj(
          String.valueOf(m.get("apiVersion")),
          String.valueOf(m.get("kind")),
          String.valueOf(map(m.get("metadata")).get("name")),
          m));
    }
    return new Manifests(objects);
  }

  List<Obj> all() {
    return objects;
  }

  Stream<Obj> ofKind(String kind) {
    return objects.stream().filter(o -> o.kind().equals(kind));
  }

  Optional<Obj> find(String kind, String name) {
    return ofKind(kind).filter(o -> o.name().equals(name)).findFirst();
  }

  Obj get(String kind, String name) {
    return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " in the build"));
  }

  Stream<Obj> workloads() {
    return objects.stream().filter(o -> WORKLOADS.contains(o.kind()));
  }

  /** The workloads whose pods a label selector ({@code matchLabels} map) selects. */
  List<Obj> workloadsSelectedBy(Map<String, String> selector) {
    return workloads().filter(w -> matches(selector, w.podLabels())).toList();
  }

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return !selector.isEmpty() && selector.entrySet().stream().allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()));
  }

  /** A {@code LabelSelector}: matchLabels (matchExpressions are not used here and fail). */
  static Map<String, String> matchLabels(Object selector) {
    Map<String, Object> s = map(selector);
    if (s.containsKey("matchExpressions")) {
      throw new AssertionError("matchExpressions are not modelled by these checks: " + s);
    }
    return strings(map(s.get("matchLabels")));
  }

  /** A container's environment: name to value, or to "secret:NAME/KEY" / "configmap:NAME/KEY". */
  static Map<String, String> env(Map<String, Object> container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> e : maps(container.get("env"))) {
      String name = String.valueOf(e.get("name"));
      if (e.containsKey("value")) {
        env.put(name, String.valueOf(e.get("value")));
      } else {
        Map<String, Object> from = map(e.get("valueFrom"));
        if (from.containsKey("secretKeyRef")) {
          Map<String, Object> ref = map(from.get("secretKeyRef"));
          env.put(name, "secret:" + ref.get("name") + "/" + ref.get("key"));
        } else if (from.containsKey("configMapKeyRef")) {
          Map<String, Object> ref = map(from.get("configMapKeyRef"));
          env.put(name, "configmap:" + ref.get("name") + "/" + ref.get("key"));
        } else {
          env.put(name, "field:" + from);
        }
      }
    }
    return env;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> maps(Object o) {
    if (!(o instanceof List<?> l)) {
      return List.of();
    }
    return l.stream().map(x -> (Map<String, Object>) x).toList();
  }

  static List<String> strings(Object o) {
    return o instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
  }

  static Map<String, String> strings(Map<String, Object> m) {
    Map<String, String> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  /** Walks {@code a.b.c} through maps; null where absent. */
  static Object at(Map<String, Object> doc, String path) {
    Object current = doc;
    for (String key : path.split("\\.")) {
      if (!(current instanceof Map<?, ?> m)) {
        return null;
      }
      current = m.get(key);
    }
    return current;
  }
}
