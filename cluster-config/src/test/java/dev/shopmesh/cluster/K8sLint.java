package dev.shopmesh.cluster;

import static dev.shopmesh.cluster.Manifests.at;
import static dev.shopmesh.cluster.Manifests.map;
import static dev.shopmesh.cluster.Manifests.maps;
import static dev.shopmesh.cluster.Manifests.matchLabels;

import dev.shopmesh.cluster.Manifests.Obj;
import dev.shopmesh.cluster.NetworkModel.Edge;
import dev.shopmesh.cluster.NetworkModel.Node;
import dev.shopmesh.cluster.NetworkModel.Port;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What no schema catches in a built set of manifests: that the parts refer to each other
 * correctly. Each check returns its problems, one sentence each; none means it passed. The
 * checks that need the services' own code (the variables they read, the ports and health names
 * they serve) are in KubernetesServicesTest, which starts them.
 */
final class K8sLint {
  /** The keys of the Secret CloudNativePG makes for a Cluster's application owner, "<cluster>-app". */
  static final Set<String> CNPG_APP_KEYS =
      Set.of("username", "user", "password", "host", "port", "dbname", "pgpass", "uri", "jdbc-uri", "fqdn-uri", "fqdn-jdbc-uri");

  /** Room left in max_connections: superuser_reserved_connections (3) and CloudNativePG's own (10). */
  static final int RESERVED_CONNECTIONS = 13;

  private final Manifests m;
  private final String namespace;

  K8sLint(Manifests manifests) {
    this.m = manifests;
    this.namespace = manifests.all().stream()
        .map(o -> map(o.doc().get("metadata")).get("namespace"))
        .filter(java.util.Objects::nonNull).map(String::valueOf).findFirst().orElse("default");
  }

  /** Every check at once. */
  List<String> all() {
    List<String> p = new ArrayList<>();
    p.addAll(selectors());
    p.addAll(ports());
    p.addAll(references());
    p.addAll(autoscaling());
    p.addAll(images());
    p.addAll(security());
    p.addAll(probes());
    p.addAll(jvmMemory());
    p.addAll(headlessServices());
    p.addAll(peers());
    p.addAll(envoy());
    p.addAll(connections());
    p.addAll(networkPolicies());
    return p;
  }

  // --- selectors -------------------------------------------------------------------------

  List<String> selectors() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      Map<String, String> selector = matchLabels(w.spec().get("selector"));
      if (!Manifests.matches(selector, w.podLabels())) {
        p.add(w + ": its selector " + selector + " does not match its pod labels " + w.podLabels());
      }
      for (Map<String, Object> c : maps(w.podSpec().get("topologySpreadConstraints"))) {
        Map<String, String> s = matchLabels(c.get("labelSelector"));
        if (!Manifests.matches(s, w.podLabels())) {
          p.add(w + ": a topology spread constraint selects " + s + ", not its own pods " + w.podLabels());
        }
      }
    });
    m.ofKind("Service").forEach(s -> {
      Map<String, String> selector = Manifests.strings(map(s.spec().get("selector")));
      List<Obj> selected = m.workloadsSelectedBy(selector);
      if (selected.size() != 1) {
        p.add(s + ": its selector " + selector + " selects " + selected + ", not exactly one workload");
      }
    });
    m.ofKind("PodDisruptionBudget").forEach(b -> {
      List<Obj> selected = m.workloadsSelectedBy(matchLabels(b.spec().get("selector")));
      if (selected.size() != 1) {
        p.add(b + ": selects " + selected + ", not exactly one workload");
      }
    });
    return p;
  }

  // --- ports -------------------------------------------------------------------------------

  List<String> ports() {
    List<String> p = new ArrayList<>();
    m.ofKind("Service").forEach(s -> {
      Map<String, String> selector = Manifests.strings(map(s.spec().get("selector")));
      for (Obj w : m.workloadsSelectedBy(selector)) {
        for (Map<String, Object> port : maps(s.spec().get("ports"))) {
          Object target = port.getOrDefault("targetPort", port.get("port"));
          if (containerPort(w, target).isEmpty()) {
            p.add(s + ": port " + port.get("name") + " targets " + target + ", which no container of " + w + " declares");
          }
        }
      }
    });
    m.workloads().forEach(w -> {
      for (Map<String, Object> c : w.containers()) {
        for (String kind : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
          Map<String, Object> probe = map(c.get(kind));
          for (String handler : List.of("grpc", "httpGet", "tcpSocket")) {
            if (probe.containsKey(handler)) {
              Object port = map(probe.get(handler)).get("port");
              if (containerPort(w, port).isEmpty()) {
                p.add(w + ": the " + kind + " of " + c.get("name") + " asks port " + port + ", which it does not declare");
              }
            }
          }
        }
      }
    });
    return p;
  }

  /** The number of a container port, by number or by name. */
  static Optional<Integer> containerPort(Obj workload, Object port) {
    for (Map<String, Object> c : workload.containers()) {
      for (Map<String, Object> cp : maps(c.get("ports"))) {
        if (port instanceof Integer n ? n.equals(cp.get("containerPort")) : String.valueOf(port).equals(cp.get("name"))) {
          return Optional.of((Integer) cp.get("containerPort"));
        }
      }
    }
    return Optional.empty();
  }

  // --- references --------------------------------------------------------------------------

  List<String> references() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      String sa = String.valueOf(w.podSpec().getOrDefault("serviceAccountName", "default"));
      if (m.find("ServiceAccount", sa).isEmpty()) {
        p.add(w + ": its ServiceAccount " + sa + " is not in the build");
      }
      for (Map<String, Object> c : w.containers()) {
        Manifests.env(c).forEach((name, value) -> {
          if (value.startsWith("secret:") || value.startsWith("configmap:")) {
            String[] ref = value.substring(value.indexOf(':') + 1).split("/", 2);
            String kind = value.startsWith("secret:") ? "Secret" : "ConfigMap";
            if (!keyExists(kind, ref[0], ref[1])) {
              p.add(w + ": " + name + " reads key " + ref[1] + " of " + kind + " " + ref[0] + ", which the build does not make");
            }
          }
        });
      }
      for (Map<String, Object> v : maps(w.podSpec().get("volumes"))) {
        List<Map<String, Object>> sources = new ArrayList<>();
        if (v.containsKey("projected")) {
          sources.addAll(maps(map(v.get("projected")).get("sources")));
        } else {
          sources.add(v);
        }
        for (Map<String, Object> src : sources) {
          if (src.containsKey("configMap")) {
            checkVolume(p, w, "ConfigMap", map(src.get("configMap")), "name");
          }
          if (src.containsKey("secret")) {
            checkVolume(p, w, "Secret", map(src.get("secret")), src == v ? "secretName" : "name");
          }
        }
      }
    });
    return p;
  }

  private void checkVolume(List<String> p, Obj w, String kind, Map<String, Object> ref, String nameKey) {
    String name = String.valueOf(ref.get(nameKey));
    if (Boolean.TRUE.equals(ref.get("optional"))) {
      return;
    }
    if (m.find(kind, name).isEmpty()) {
      p.add(w + ": mounts " + kind + " " + name + ", which the build does not make");
      return;
    }
    for (Map<String, Object> item : maps(ref.get("items"))) {
      if (!keyExists(kind, name, String.valueOf(item.get("key")))) {
        p.add(w + ": mounts key " + item.get("key") + " of " + kind + " " + name + ", which it does not have");
      }
    }
  }

  private boolean keyExists(String kind, String name, String key) {
    Optional<Obj> o = m.find(kind, name);
    if (o.isPresent()) {
      return map(o.get().doc().get("data")).containsKey(key) || map(o.get().doc().get("binaryData")).containsKey(key)
          || map(o.get().doc().get("stringData")).containsKey(key);
    }
    return kind.equals("Secret") && name.endsWith("-app")
        && m.find("Cluster", name.substring(0, name.length() - "-app".length())).isPresent()
        && CNPG_APP_KEYS.contains(key);
  }

  /** A value of a Secret or ConfigMap of the build, decoded. */
  Optional<String> value(String kind, String name, String key) {
    return m.find(kind, name).flatMap(o -> {
      Object plain = map(o.doc().get("stringData")).get(key);
      if (plain != null) {
        return Optional.of(String.valueOf(plain));
      }
      Object data = map(o.doc().get("data")).get(key);
      if (data == null) {
        return Optional.empty();
      }
      return Optional.of(kind.equals("Secret") ? new String(Base64.getDecoder().decode(String.valueOf(data)), StandardCharsets.UTF_8) : String.valueOf(data));
    });
  }

  // --- autoscaling ------------------------------------------------------------------------

  List<String> autoscaling() {
    List<String> p = new ArrayList<>();
    m.ofKind("HorizontalPodAutoscaler").forEach(h -> {
      Map<String, Object> ref = map(h.spec().get("scaleTargetRef"));
      Optional<Obj> target = m.find(String.valueOf(ref.get("kind")), String.valueOf(ref.get("name")));
      if (target.isEmpty() || !String.valueOf(ref.get("apiVersion")).equals(target.get().apiVersion())) {
        p.add(h + ": its target " + ref.get("apiVersion") + " " + ref.get("kind") + "/" + ref.get("name") + " is not in the build");
        return;
      }
      int min = (Integer) h.spec().getOrDefault("minReplicas", 1);
      int max = (Integer) h.spec().get("maxReplicas");
      if (min < 2) {
        p.add(h + ": minReplicas " + min + " leaves nothing serving while a pod is replaced or evicted");
      }
      if (max < min) {
        p.add(h + ": maxReplicas " + max + " is below minReplicas " + min);
      }
      boolean cpu = maps(h.spec().get("metrics")).stream().anyMatch(x -> "cpu".equals(at(x, "resource.name")));
      if (!cpu) {
        p.add(h + ": scales on no CPU metric");
      }
      if (target.get().spec().containsKey("replicas")) {
        p.add(target.get() + ": sets replicas, which " + h + " owns (each apply would reset them)");
      }
    });
    m.ofKind("PodDisruptionBudget").forEach(b -> {
      Map<String, Object> spec = b.spec();
      if (spec.containsKey("minAvailable")) {
        p.add(b + ": minAvailable can block a node drain for good; use maxUnavailable");
      }
      if (!Integer.valueOf(1).equals(spec.get("maxUnavailable"))) {
        p.add(b + ": maxUnavailable should be 1, is " + spec.get("maxUnavailable"));
      }
      if (!"AlwaysAllow".equals(spec.get("unhealthyPodEvictionPolicy"))) {
        p.add(b + ": without unhealthyPodEvictionPolicy AlwaysAllow, pods that are not ready block a drain");
      }
      for (Obj w : m.workloadsSelectedBy(matchLabels(spec.get("selector")))) {
        int least = minReplicas(w);
        int unavailable = spec.get("maxUnavailable") instanceof Integer u ? u : 0;
        if (least - unavailable < 1) {
          p.add(b + ": with " + least + " replicas at least, evicting " + unavailable + " leaves " + w + " with none serving");
        }
      }
    });
    return p;
  }

  Optional<Obj> hpaFor(Obj workload) {
    return m.ofKind("HorizontalPodAutoscaler")
        .filter(h -> workload.name().equals(at(h.spec(), "scaleTargetRef.name")) && workload.kind().equals(at(h.spec(), "scaleTargetRef.kind")))
        .findFirst();
  }

  int minReplicas(Obj w) {
    return hpaFor(w).map(h -> (Integer) h.spec().getOrDefault("minReplicas", 1))
        .orElse((Integer) w.spec().getOrDefault("replicas", 1));
  }

  int maxReplicas(Obj w) {
    return hpaFor(w).map(h -> (Integer) h.spec().get("maxReplicas"))
        .orElse((Integer) w.spec().getOrDefault("replicas", 1));
  }

  // --- images ------------------------------------------------------------------------------

  List<String> images() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      List<Map<String, Object>> all = new ArrayList<>(w.containers());
      all.addAll(maps(w.podSpec().get("initContainers")));
      for (Map<String, Object> c : all) {
        pinned(String.valueOf(c.get("image"))).ifPresent(why -> p.add(w + ": image " + c.get("image") + " " + why));
      }
    });
    m.ofKind("Cluster").forEach(c -> pinned(String.valueOf(c.spec().get("imageName")))
        .ifPresent(why -> p.add(c + ": imageName " + c.spec().get("imageName") + " " + why)));
    return p;
  }

  static Optional<String> pinned(String image) {
    if (image.contains("@sha256:")) {
      return Optional.empty();
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon < slash + 1) {
      return Optional.of("has no tag (it means latest)");
    }
    if (image.substring(colon + 1).equals("latest")) {
      return Optional.of("is tagged latest");
    }
    return Optional.empty();
  }

  // --- security -------------------------------------------------------------------------

  List<String> security() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      Map<String, Object> pod = w.podSpec();
      if (!Boolean.TRUE.equals(at(pod, "securityContext.runAsNonRoot"))) {
        p.add(w + ": the pod does not set runAsNonRoot");
      }
      if (!"RuntimeDefault".equals(at(pod, "securityContext.seccompProfile.type"))) {
        p.add(w + ": the pod's seccompProfile is not RuntimeDefault");
      }
      if (!Boolean.FALSE.equals(pod.get("automountServiceAccountToken"))) {
        p.add(w + ": mounts a service account token it does not use");
      }
      Map<String, String> emptyDirs = new LinkedHashMap<>();
      for (Map<String, Object> v : maps(pod.get("volumes"))) {
        if (v.containsKey("emptyDir")) {
          emptyDirs.put(String.valueOf(v.get("name")), "emptyDir");
        }
      }
      for (Map<String, Object> c : w.containers()) {
        String name = w + " container " + c.get("name");
        Map<String, Object> sc = map(c.get("securityContext"));
        if (!Boolean.FALSE.equals(sc.get("allowPrivilegeEscalation"))) {
          p.add(name + ": allowPrivilegeEscalation is not false");
        }
        if (!Boolean.TRUE.equals(sc.get("readOnlyRootFilesystem"))) {
          p.add(name + ": the root filesystem is not read-only");
        }
        if (!Manifests.strings(at(sc, "capabilities.drop")).contains("ALL")) {
          p.add(name + ": does not drop all capabilities");
        }
        boolean tmp = maps(c.get("volumeMounts")).stream()
            .anyMatch(vm -> "/tmp".equals(vm.get("mountPath")) && emptyDirs.containsKey(String.valueOf(vm.get("name"))));
        if (!tmp) {
          p.add(name + ": no emptyDir on /tmp, which a read-only root filesystem needs");
        }
        for (String kind : List.of("requests", "limits")) {
          for (String resource : List.of("cpu", "memory")) {
            if (at(c, "resources." + kind + "." + resource) == null) {
              p.add(name + ": no " + resource + " " + kind);
            }
          }
        }
      }
    });
    return p;
  }

  // --- probes -----------------------------------------------------------------------------

  /** Containers of this project's images (shopmesh/*): JVMs that start slowly and speak gRPC health. */
  static boolean ours(Map<String, Object> container) {
    return String.valueOf(container.get("image")).startsWith("shopmesh/");
  }

  List<String> probes() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      for (Map<String, Object> c : w.containers()) {
        List<String> kinds = ours(c) ? List.of("startupProbe", "readinessProbe", "livenessProbe") : List.of("readinessProbe", "livenessProbe");
        for (String kind : kinds) {
          if (!c.containsKey(kind)) {
            p.add(w + " container " + c.get("name") + ": no " + kind);
          } else if (ours(c) && !map(c.get(kind)).containsKey("grpc")) {
            p.add(w + " container " + c.get("name") + ": its " + kind + " is not a grpc probe");
          }
        }
      }
    });
    return p;
  }

  // --- JVM memory ------------------------------------------------------------------------

  List<String> jvmMemory() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      for (Map<String, Object> c : w.containers()) {
        List<String> command = Manifests.strings(c.get("command"));
        if (command.isEmpty() || !command.get(0).equals("java")) {
          if (ours(c)) {
            p.add(w + " container " + c.get("name") + ": runs its image's JVM flags, not ones sized from its limit");
          }
          continue;
        }
        Map<String, Long> caps = JvmFlags.caps(command);
        for (String pool : List.of("heap", "metaspace", "code cache", "direct memory")) {
          if (!caps.containsKey(pool)) {
            p.add(w + " container " + c.get("name") + ": the JVM's " + pool + " is not capped");
          }
        }
        if (!caps.keySet().containsAll(List.of("heap", "metaspace", "code cache", "direct memory"))) {
          continue;
        }
        long footprint = JvmFlags.footprintMib(caps);
        long limit = JvmFlags.quantityMib(at(c, "resources.limits.memory"));
        if (footprint > limit) {
          p.add(w + " container " + c.get("name") + ": the JVM may use " + footprint + " MiB " + caps
              + " (+ " + JvmFlags.NATIVE_OVERHEAD_MIB + " MiB native), over its " + limit + " MiB limit");
        }
      }
    });
    return p;
  }

  // --- Services and peers -------------------------------------------------------------------

  static boolean headless(Obj service) {
    return "None".equals(service.spec().get("clusterIP"));
  }

  List<String> headlessServices() {
    List<String> p = new ArrayList<>();
    m.ofKind("Service").filter(s -> !headless(s)).forEach(s -> {
      Optional<Obj> h = m.find("Service", s.name() + "-headless");
      if (h.isEmpty() || !headless(h.get())) {
        p.add(s + ": has no headless twin " + s.name() + "-headless for client-side balancing");
      } else if (!map(h.get().spec().get("selector")).equals(map(s.spec().get("selector")))
          || !maps(h.get().spec().get("ports")).equals(maps(s.spec().get("ports")))) {
        p.add(h.get() + ": selects other pods or ports than " + s);
      }
    });
    return p;
  }

  /** Every {@code *_TARGET}: {@code dns:///<headless Service>:<one of its ports>}. */
  List<String> peers() {
    List<String> p = new ArrayList<>();
    m.workloads().forEach(w -> {
      for (Map<String, Object> c : w.containers()) {
        Manifests.env(c).forEach((name, value) -> {
          if (!name.endsWith("_TARGET")) {
            return;
          }
          if (!value.startsWith("dns:///")) {
            p.add(w + ": " + name + "=" + value + " is not a dns:/// target, so it is never re-resolved");
            return;
          }
          URI uri = URI.create("dns://" + value.substring("dns:///".length()));
          Optional<Obj> s = m.find("Service", uri.getHost());
          if (s.isEmpty() || !headless(s.get())) {
            p.add(w + ": " + name + "=" + value + " does not name a headless Service, so one connection takes every call");
          } else if (maps(s.get().spec().get("ports")).stream().noneMatch(x -> Integer.valueOf(uri.getPort()).equals(x.get("port")))) {
            p.add(w + ": " + name + "=" + value + ": " + s.get() + " has no port " + uri.getPort());
          }
        });
      }
    });
    return p;
  }

  // --- Envoy -----------------------------------------------------------------------------

  /** envoy.yaml as the build's envoy-config ConfigMap carries it. */
  Optional<io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap> envoyConfig() {
    return m.ofKind("ConfigMap").filter(c -> c.name().startsWith("envoy-config"))
        .findFirst().map(c -> Envoy.parse(String.valueOf(map(c.doc().get("data")).get("envoy.yaml"))));
  }

  Optional<Obj> envoyDeployment() {
    return m.workloads().filter(w -> w.containers().stream().anyMatch(c -> String.valueOf(c.get("image")).startsWith("envoyproxy/envoy:"))).findFirst();
  }

  List<String> envoy() {
    List<String> p = new ArrayList<>();
    Optional<Obj> deployment = envoyDeployment();
    Optional<io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap> config = envoyConfig();
    if (deployment.isEmpty() || config.isEmpty()) {
      return List.of("the build has no Envoy Deployment with its envoy-config ConfigMap");
    }
    Obj envoy = deployment.get();
    Map<String, Object> container = envoy.containers().get(0);
    List<String> args = Manifests.strings(container.get("args"));
    int concurrency = args.contains("--concurrency") ? Integer.parseInt(args.get(args.indexOf("--concurrency") + 1)) : -1;
    double cpus = cpu(at(container, "resources.limits.cpu"));
    if (concurrency < 1 || concurrency > cpus) {
      p.add(envoy + ": --concurrency " + concurrency + " should be set, at most the CPU limit " + cpus);
    }
    Map<String, String> mounted = mountedFiles(envoy, container);
    String configPath = args.contains("-c") ? args.get(args.indexOf("-c") + 1) : "";
    if (!mounted.containsKey(configPath)) {
      p.add(envoy + ": reads " + configPath + ", which no ConfigMap mounts (mounted: " + mounted.keySet() + ")");
    }
    String descriptor = config.get().getStaticResources().getListenersList().stream()
        .flatMap(l -> Envoy.transcoder(Envoy.hcm(l)).stream()).findFirst()
        .map(t -> t.getProtoDescriptor()).orElse("(no transcoder)");
    if (!mounted.containsKey(descriptor)) {
      p.add(envoy + ": the transcoder reads " + descriptor + ", which no ConfigMap mounts (mounted: " + mounted.keySet() + ")");
    }
    for (Cluster cluster : config.get().getStaticResources().getClustersList()) {
      if (cluster.getType() != Cluster.DiscoveryType.STRICT_DNS) {
        continue;
      }
      SocketAddress endpoint = Envoy.endpoint(cluster);
      Optional<Obj> service = m.find("Service", endpoint.getAddress());
      if (service.isEmpty() || !headless(service.get())) {
        p.add("envoy.yaml cluster " + cluster.getName() + " names " + endpoint.getAddress() + ", which is not a headless Service of the build");
        continue;
      }
      if (maps(service.get().spec().get("ports")).stream().noneMatch(x -> Integer.valueOf(endpoint.getPortValue()).equals(x.get("port")))) {
        p.add("envoy.yaml cluster " + cluster.getName() + ": " + service.get() + " has no port " + endpoint.getPortValue());
      }
      circuitBreakers(p, cluster, service.get(), concurrency);
    }
    return p;
  }

  /** Circuit breakers count per cluster, so they must hold the largest the cluster gets. */
  private void circuitBreakers(List<String> p, Cluster cluster, Obj service, int workers) {
    for (Obj w : m.workloadsSelectedBy(Manifests.strings(map(service.spec().get("selector"))))) {
      if (hpaFor(w).isEmpty() || cluster.getCircuitBreakers().getThresholdsCount() == 0) {
        continue;
      }
      var t = cluster.getCircuitBreakers().getThresholds(0);
      int max = maxReplicas(w);
      int pool = dbPoolSize(w).orElse(0);
      if (pool > 0 && t.getMaxRequests().getValue() < max * pool) {
        p.add("envoy.yaml cluster " + cluster.getName() + ": max_requests " + t.getMaxRequests().getValue()
            + " is below what " + max + " replicas x DB_POOL_SIZE " + pool + " can serve at once");
      }
      if (t.getMaxConnections().getValue() < workers * max) {
        p.add("envoy.yaml cluster " + cluster.getName() + ": max_connections " + t.getMaxConnections().getValue()
            + " is below one connection per Envoy worker (" + workers + ") per replica (" + max + ")");
      }
    }
  }

  Optional<Integer> dbPoolSize(Obj w) {
    return w.containers().stream().map(Manifests::env).map(e -> e.get("DB_POOL_SIZE"))
        .filter(java.util.Objects::nonNull).map(Integer::parseInt).findFirst();
  }

  /** Files a container sees from ConfigMaps and Secrets: path to "ConfigMap name/key". */
  static Map<String, String> mountedFiles(Obj w, Map<String, Object> container) {
    Map<String, String> files = new LinkedHashMap<>();
    Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
    for (Map<String, Object> v : maps(w.podSpec().get("volumes"))) {
      volumes.put(String.valueOf(v.get("name")), v);
    }
    for (Map<String, Object> vm : maps(container.get("volumeMounts"))) {
      Map<String, Object> v = volumes.getOrDefault(String.valueOf(vm.get("name")), Map.of());
      List<Map<String, Object>> sources = v.containsKey("projected") ? maps(map(v.get("projected")).get("sources")) : List.of(v);
      for (Map<String, Object> src : sources) {
        for (String kind : List.of("configMap", "secret")) {
          Map<String, Object> ref = map(src.get(kind));
          for (Map<String, Object> item : maps(ref.get("items"))) {
            files.put(vm.get("mountPath") + "/" + item.get("path"), kind + " " + ref.getOrDefault("name", ref.get("secretName")) + "/" + item.get("key"));
          }
        }
      }
    }
    return files;
  }

  static double cpu(Object quantity) {
    String s = String.valueOf(quantity);
    return s.endsWith("m") ? Integer.parseInt(s.substring(0, s.length() - 1)) / 1000.0 : Double.parseDouble(s);
  }

  // --- database connections -------------------------------------------------------------

  /** A database and the workloads whose pools open connections to it. */
  record Database(String name, int maxConnections, List<Obj> clients) {}

  List<Database> databases() {
    Map<String, Database> dbs = new LinkedHashMap<>();
    m.workloads().forEach(w -> {
      for (Map<String, Object> c : w.containers()) {
        String host = Manifests.env(c).get("PGHOST");
        if (host == null) {
          continue;
        }
        Optional<Database> db = databaseBehind(host);
        db.ifPresent(d -> dbs.computeIfAbsent(d.name(), k -> d).clients().add(w));
      }
    });
    return new ArrayList<>(dbs.values());
  }

  private Optional<Database> databaseBehind(String pgHost) {
    if (!pgHost.startsWith("secret:")) {
      return Optional.empty();
    }
    String secret = pgHost.substring("secret:".length()).split("/")[0];
    Optional<Obj> cluster = secret.endsWith("-app") ? m.find("Cluster", secret.substring(0, secret.length() - 4)) : Optional.empty();
    if (cluster.isPresent()) {
      Object max = at(cluster.get().spec(), "postgresql.parameters.max_connections");
      return Optional.of(new Database(cluster.get().toString(), max == null ? 100 : Integer.parseInt(String.valueOf(max)), new ArrayList<>()));
    }
    Optional<String> host = value("Secret", secret, "host");
    if (host.isEmpty()) {
      return Optional.empty();
    }
    Optional<Obj> service = m.find("Service", host.get());
    if (service.isEmpty()) {
      return Optional.empty();
    }
    for (Obj w : m.workloadsSelectedBy(Manifests.strings(map(service.get().spec().get("selector"))))) {
      List<String> args = Manifests.strings(w.containers().get(0).get("args"));
      int max = 100;
      for (int i = 0; i + 1 < args.size(); i++) {
        if (args.get(i).equals("-c") && args.get(i + 1).startsWith("max_connections=")) {
          max = Integer.parseInt(args.get(i + 1).substring("max_connections=".length()));
        }
      }
      return Optional.of(new Database(w.toString(), max, new ArrayList<>()));
    }
    return Optional.empty();
  }

  /** The most pods a workload has at once: its maximum, one surging, one still terminating. */
  int peakPods(Obj w) {
    Object surge = at(w.spec(), "strategy.rollingUpdate.maxSurge");
    int s = surge instanceof Integer i ? i : (int) Math.ceil(maxReplicas(w) * 0.25);
    return maxReplicas(w) + s + 1;
  }

  List<String> connections() {
    List<String> p = new ArrayList<>();
    for (Database db : databases()) {
      int total = 0;
      List<String> terms = new ArrayList<>();
      for (Obj w : db.clients()) {
        int pool = dbPoolSize(w).orElse(-1);
        if (pool < 0) {
          p.add(w + ": no DB_POOL_SIZE, so its pool follows the node's core count");
          continue;
        }
        total += peakPods(w) * pool;
        terms.add(w.name() + " " + peakPods(w) + " x " + pool);
      }
      if (total > db.maxConnections() - RESERVED_CONNECTIONS) {
        p.add(db.name() + ": " + String.join(" + ", terms) + " = " + total + " connections at the peak, over max_connections "
            + db.maxConnections() + " minus " + RESERVED_CONNECTIONS + " reserved");
      }
    }
    return p;
  }

  // --- network policies --------------------------------------------------------------------

  /** The pods of the build, CloudNativePG's instances included, as the policies see them. */
  List<Node> pods() {
    List<Node> nodes = new ArrayList<>();
    m.workloads().forEach(w -> {
      Map<String, Integer> named = new LinkedHashMap<>();
      Set<Port> ports = new TreeSet<>();
      for (Map<String, Object> c : w.containers()) {
        for (Map<String, Object> cp : maps(c.get("ports"))) {
          int n = (Integer) cp.get("containerPort");
          ports.add(new Port(n, String.valueOf(cp.getOrDefault("protocol", "TCP"))));
          if (cp.get("name") != null) {
            named.put(String.valueOf(cp.get("name")), n);
          }
        }
      }
      nodes.add(NetworkModel.node(w.name(), namespace, w.podLabels(), named, ports));
    });
    m.ofKind("Cluster").forEach(c -> {
      Map<String, String> labels = new LinkedHashMap<>(Manifests.strings(map(at(c.spec(), "inheritedMetadata.labels"))));
      labels.put("cnpg.io/cluster", c.name());
      labels.put("cnpg.io/podRole", "instance");
      nodes.add(NetworkModel.node(c.name(), namespace, labels, Map.of("postgresql", 5432, "metrics", 9187, "status", 8000), NetworkModel.tcp(5432, 8000)));
    });
    return nodes;
  }

  static final Node OUTSIDE = NetworkModel.node("(outside)", "(none)", Map.of(), Map.of(), Set.of());
  static final Node CNPG_OPERATOR = NetworkModel.node("(cnpg-operator)", "cnpg-system", Map.of("app.kubernetes.io/name", "cloudnative-pg"), Map.of(), Set.of());
  static final Node DNS = NetworkModel.node("(dns)", "kube-system", Map.of("k8s-app", "kube-dns"), Map.of(),
      Set.of(new Port(53, "UDP"), new Port(53, "TCP")));
  static final Node API_SERVER = NetworkModel.node("(kube-apiserver)", "(none)", Map.of(), Map.of(), NetworkModel.tcp(443, 6443));

  /** The connections the manifests' own wiring implies: the call graph. */
  Set<Edge> callGraph() {
    Set<Edge> edges = new TreeSet<>();
    List<Node> pods = pods();
    for (Node pod : pods) {
      edges.add(new Edge(pod.name(), DNS.name(), new Port(53, "UDP")));
      edges.add(new Edge(pod.name(), DNS.name(), new Port(53, "TCP")));
    }
    envoyDeployment().ifPresent(envoy -> {
      // Clients reach the edge on the ports of its Service, from wherever they are.
      m.ofKind("Service").filter(s -> !headless(s)).filter(s -> m.workloadsSelectedBy(Manifests.strings(map(s.spec().get("selector")))).contains(envoy))
          .forEach(s -> maps(s.spec().get("ports")).forEach(x -> containerPort(envoy, x.getOrDefault("targetPort", x.get("port")))
              .ifPresent(n -> {
                edges.add(new Edge(OUTSIDE.name(), envoy.name(), new Port(n, "TCP")));
                edges.add(new Edge(CNPG_OPERATOR.name(), envoy.name(), new Port(n, "TCP")));
              })));
      envoyConfig().ifPresent(config -> {
        for (Cluster cluster : config.getStaticResources().getClustersList()) {
          SocketAddress endpoint = Envoy.endpoint(cluster);
          serviceTarget(endpoint.getAddress(), endpoint.getPortValue()).ifPresent(t -> edges.add(new Edge(envoy.name(), t.getKey(), new Port(t.getValue(), "TCP"))));
        }
      });
    });
    m.workloads().forEach(w -> {
      for (Map<String, Object> c : w.containers()) {
        Map<String, String> env = Manifests.env(c);
        env.forEach((name, value) -> {
          if (name.endsWith("_TARGET") && value.startsWith("dns:///")) {
            URI uri = URI.create("dns://" + value.substring("dns:///".length()));
            serviceTarget(uri.getHost(), uri.getPort()).ifPresent(t -> edges.add(new Edge(w.name(), t.getKey(), new Port(t.getValue(), "TCP"))));
          }
          if (name.equals("OTEL_EXPORTER_OTLP_ENDPOINT") || name.equals("JWKS_URL")) {
            URI uri = URI.create(value);
            serviceTarget(uri.getHost(), uri.getPort()).ifPresent(t -> edges.add(new Edge(w.name(), t.getKey(), new Port(t.getValue(), "TCP"))));
          }
        });
        String host = env.get("PGHOST");
        if (host != null && host.startsWith("secret:")) {
          String secret = host.substring("secret:".length()).split("/")[0];
          String cluster = secret.substring(0, secret.length() - "-app".length());
          if (m.find("Cluster", cluster).isPresent()) {
            edges.add(new Edge(w.name(), cluster, new Port(5432, "TCP")));
          } else {
            value("Secret", secret, "host").flatMap(h -> serviceTarget(h, 5432))
                .ifPresent(t -> edges.add(new Edge(w.name(), t.getKey(), new Port(t.getValue(), "TCP"))));
          }
        }
      }
    });
    m.ofKind("Cluster").forEach(c -> {
      for (int port : new int[] {5432, 8000}) {
        edges.add(new Edge(c.name(), c.name(), new Port(port, "TCP")));
        edges.add(new Edge(CNPG_OPERATOR.name(), c.name(), new Port(port, "TCP")));
      }
      edges.add(new Edge(c.name(), API_SERVER.name(), new Port(443, "TCP")));
      edges.add(new Edge(c.name(), API_SERVER.name(), new Port(6443, "TCP")));
    });
    return edges;
  }

  /** The workload behind a Service name and the container port a Service port leads to. */
  private Optional<Map.Entry<String, Integer>> serviceTarget(String serviceName, int port) {
    Optional<Obj> s = m.find("Service", serviceName);
    if (s.isEmpty()) {
      return Optional.empty();
    }
    for (Obj w : m.workloadsSelectedBy(Manifests.strings(map(s.get().spec().get("selector"))))) {
      for (Map<String, Object> sp : maps(s.get().spec().get("ports"))) {
        if (Integer.valueOf(port).equals(sp.get("port"))) {
          Optional<Integer> target = containerPort(w, sp.getOrDefault("targetPort", sp.get("port")));
          if (target.isPresent()) {
            return Optional.of(Map.entry(w.name(), target.get()));
          }
        }
      }
    }
    return Optional.empty();
  }

  boolean hasDefaultDeny() {
    return m.ofKind("NetworkPolicy").anyMatch(np -> map(np.spec().get("podSelector")).isEmpty()
        && Manifests.strings(np.spec().get("policyTypes")).containsAll(List.of("Ingress", "Egress"))
        && !np.spec().containsKey("ingress") && !np.spec().containsKey("egress"));
  }

  /**
   * With a deny-all in the build, the policies must admit exactly the call graph; without one,
   * the policies a database component brings must still admit everything the graph needs.
   */
  List<String> networkPolicies() {
    List<Obj> policies = m.ofKind("NetworkPolicy").toList();
    if (policies.isEmpty()) {
      return List.of();
    }
    NetworkModel model = new NetworkModel(namespace, policies);
    List<Node> pods = pods();
    List<Node> sources = new ArrayList<>(pods);
    sources.add(OUTSIDE);
    sources.add(CNPG_OPERATOR);
    List<Node> destinations = new ArrayList<>(pods);
    destinations.add(DNS);
    destinations.add(API_SERVER);
    Set<Edge> admitted = model.admitted(sources, destinations);
    Set<Edge> expected = callGraph();
    List<String> p = new ArrayList<>();
    for (Edge e : expected) {
      if (!admitted.contains(e)) {
        p.add("network policies block " + e + ", which the call graph needs");
      }
    }
    if (hasDefaultDeny()) {
      for (Edge e : admitted) {
        if (!expected.contains(e)) {
          p.add("network policies admit " + e + ", which is not in the call graph");
        }
      }
    }
    return p;
  }
}
