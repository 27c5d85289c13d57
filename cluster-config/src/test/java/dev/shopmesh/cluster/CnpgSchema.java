package dev.shopmesh.cluster;

import dev.shopmesh.cluster.Manifests.Obj;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CloudNativePG's {@code postgresql.cnpg.io/v1 Cluster}, checked against its schema: the fields,
 * types, enums and required fields of the CRD ({@code config/crd/bases/postgresql.cnpg.io_clusters.yaml}
 * of cloudnative-pg, and its API reference), transcribed for the part of the spec that a
 * shopmesh Cluster may use, plus the operator's admission rules for them. The CRD itself (400 kB)
 * is not vendored into this repository. A field outside the transcription is an error, as an
 * unknown field would be pruned by the API server without a word: add it here from the CRD,
 * with its type, when a Cluster needs it.
 */
final class CnpgSchema {
  private interface Node {
    void check(Object value, String path, List<String> problems);
  }

  private record Field(String name, Node node, boolean required) {}

  private static Node obj(Field... fields) {
    Map<String, Field> byName = new LinkedHashMap<>();
    for (Field f : fields) {
      byName.put(f.name(), f);
    }
    return (value, path, problems) -> {
      if (!(value instanceof Map<?, ?> m)) {
        problems.add(path + ": expected an object, got " + value);
        return;
      }
      for (Field f : byName.values()) {
        if (f.required() && !m.containsKey(f.name())) {
          problems.add(path + "." + f.name() + ": required");
        }
      }
      for (var e : m.entrySet()) {
        Field f = byName.get(String.valueOf(e.getKey()));
        if (f == null) {
          problems.add(path + "." + e.getKey() + ": not a field of the schema (known: " + byName.keySet() + ")");
        } else {
          f.node().check(e.getValue(), path + "." + e.getKey(), problems);
        }
      }
    };
  }

  private static Field req(String name, Node node) {
    return new Field(name, node, true);
  }

  private static Field opt(String name, Node node) {
    return new Field(name, node, false);
  }

  private static Node str() {
    return (v, path, problems) -> {
      if (!(v instanceof String)) {
        problems.add(path + ": expected a string, got " + v);
      }
    };
  }

  private static Node bool() {
    return (v, path, problems) -> {
      if (!(v instanceof Boolean)) {
        problems.add(path + ": expected a boolean, got " + v);
      }
    };
  }

  private static Node integer(int min) {
    return (v, path, problems) -> {
      if (!(v instanceof Integer i)) {
        problems.add(path + ": expected an integer, got " + v);
      } else if (i < min) {
        problems.add(path + ": must be at least " + min + ", got " + i);
      }
    };
  }

  private static Node oneOf(String... values) {
    Set<String> allowed = Set.of(values);
    return (v, path, problems) -> {
      if (!allowed.contains(v)) {
        problems.add(path + ": must be one of " + allowed + ", got " + v);
      }
    };
  }

  /** int-or-string quantities such as {@code 1Gi}, {@code 500m} or {@code 2}. */
  private static Node quantity() {
    return (v, path, problems) -> {
      if (!(v instanceof Integer) && !(v instanceof String s && s.matches("[0-9.]+([EPTGMK]i?|[munk])?"))) {
        problems.add(path + ": not a quantity: " + v);
      }
    };
  }

  private static Node mapOf(Node values) {
    return (v, path, problems) -> {
      if (!(v instanceof Map<?, ?> m)) {
        problems.add(path + ": expected a map, got " + v);
        return;
      }
      m.forEach((k, x) -> values.check(x, path + "." + k, problems));
    };
  }

  private static Node listOf(Node items) {
    return (v, path, problems) -> {
      if (!(v instanceof List<?> l)) {
        problems.add(path + ": expected a list, got " + v);
        return;
      }
      for (int i = 0; i < l.size(); i++) {
        items.check(l.get(i), path + "[" + i + "]", problems);
      }
    };
  }

  private static final Node STORAGE = obj(
      opt("size", quantity()), opt("storageClass", str()), opt("resizeInUseVolumes", bool()));

  private static final Node RESOURCES = obj(opt("requests", mapOf(quantity())), opt("limits", mapOf(quantity())));

  private static final Node CLUSTER = obj(
      req("apiVersion", oneOf("postgresql.cnpg.io/v1")),
      req("kind", oneOf("Cluster")),
      req("metadata", obj(req("name", str()), opt("namespace", str()), opt("labels", mapOf(str())), opt("annotations", mapOf(str())))),
      req("spec", obj(
          req("instances", integer(1)),
          opt("description", str()),
          opt("imageName", str()),
          opt("imagePullPolicy", oneOf("Always", "Never", "IfNotPresent")),
          opt("primaryUpdateStrategy", oneOf("unsupervised", "supervised")),
          opt("primaryUpdateMethod", oneOf("switchover", "restart")),
          opt("minSyncReplicas", integer(0)),
          opt("maxSyncReplicas", integer(0)),
          opt("enableSuperuserAccess", bool()),
          opt("enablePDB", bool()),
          opt("storage", STORAGE),
          opt("walStorage", STORAGE),
          opt("bootstrap", obj(opt("initdb", obj(
              opt("database", str()), opt("owner", str()), opt("secret", obj(req("name", str()))),
              opt("encoding", str()), opt("localeCollate", str()), opt("localeCType", str()),
              opt("dataChecksums", bool()), opt("postInitSQL", listOf(str())),
              opt("postInitApplicationSQL", listOf(str())))))),
          opt("postgresql", obj(
              opt("parameters", mapOf(str())), opt("pg_hba", listOf(str())),
              opt("shared_preload_libraries", listOf(str())))),
          opt("resources", RESOURCES),
          opt("affinity", obj(
              opt("enablePodAntiAffinity", bool()), opt("topologyKey", str()),
              opt("podAntiAffinityType", oneOf("preferred", "required")),
              opt("nodeSelector", mapOf(str())))),
          opt("inheritedMetadata", obj(opt("labels", mapOf(str())), opt("annotations", mapOf(str())))),
          opt("monitoring", obj(opt("enablePodMonitor", bool()))))));

  private CnpgSchema() {}

  /** What is wrong with a Cluster; empty when nothing is. */
  static List<String> check(Obj cluster) {
    List<String> problems = new ArrayList<>();
    if (!cluster.kind().equals("Cluster")) {
      problems.add("only the Cluster kind of postgresql.cnpg.io/v1 is modelled, not " + cluster.kind());
      return problems;
    }
    CLUSTER.check(cluster.doc(), "", problems);
    // The operator's admission rules for the fields above.
    Map<String, Object> spec = cluster.spec();
    if (Manifests.at(spec, "storage.size") == null) {
      problems.add(".spec.storage.size: required (the operator refuses a Cluster without storage)");
    }
    Object database = Manifests.at(spec, "bootstrap.initdb.database");
    Object owner = Manifests.at(spec, "bootstrap.initdb.owner");
    if ((database == null) != (owner == null)) {
      problems.add(".spec.bootstrap.initdb: database and owner go together");
    }
    return problems;
  }
}
