package dev.shopmesh.cluster;

import static dev.shopmesh.cluster.Manifests.map;
import static dev.shopmesh.cluster.Manifests.maps;

import dev.shopmesh.cluster.Manifests.Obj;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * NetworkPolicy semantics (networking.k8s.io/v1), evaluated offline over the pods a build makes:
 * a connection from pod A to port P of pod B is admitted when B admits it in (no Ingress policy
 * selects B, or one selecting B has a rule whose peers match A and whose ports match P) and A
 * lets it out (the same for Egress). Policies are additive; a policy with a policy type isolates
 * the pods it selects for that direction.
 *
 * <p>Peers: {@code podSelector} alone means pods of the policy's namespace; with
 * {@code namespaceSelector}, pods of the namespaces it matches (by their labels, of which
 * {@code kubernetes.io/metadata.name} is always one); an {@code ipBlock} is taken to match
 * anything (pods too, as most CNIs do for pod addresses), the conservative reading; an empty
 * list of peers matches every source or destination.
 */
final class NetworkModel {
  /** Something that sends or receives: a pod of the build, or one outside it. */
  record Node(String name, String namespace, Map<String, String> labels, Map<String, Integer> namedPorts, Set<Port> ports) {
    @Override
    public String toString() {
      return name;
    }
  }

  record Port(int number, String protocol) implements Comparable<Port> {
    @Override
    public int compareTo(Port o) {
      return number != o.number ? Integer.compare(number, o.number) : protocol.compareTo(o.protocol);
    }

    @Override
    public String toString() {
      return number + (protocol.equals("TCP") ? "" : "/" + protocol);
    }
  }

  /** One admitted connection. */
  record Edge(String from, String to, Port port) implements Comparable<Edge> {
    @Override
    public int compareTo(Edge o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return from + " -> " + to + ":" + port;
    }
  }

  private final String namespace;
  private final List<Obj> policies;

  NetworkModel(String namespace, List<Obj> policies) {
    this.namespace = namespace;
    this.policies = policies;
  }

  boolean admits(Node from, Node to, Port port) {
    return allowed(to, from, port, "Ingress", "ingress", "from") && allowed(from, to, port, "Egress", "egress", "to");
  }

  /** Every admitted connection from {@code sources} to the ports of {@code destinations}. */
  Set<Edge> admitted(List<Node> sources, List<Node> destinations) {
    Set<Edge> edges = new TreeSet<>();
    for (Node from : sources) {
      for (Node to : destinations) {
        if (outside(from) && outside(to)) {
          continue; // between two things outside the build: not these policies' business
        }
        for (Port port : to.ports()) {
          if (admits(from, to, port)) {
            edges.add(new Edge(from.name(), to.name(), port));
          }
        }
      }
    }
    return edges;
  }

  /** Pseudo nodes (outside, the operator, DNS, the API server) are named in parentheses. */
  static boolean outside(Node node) {
    return node.name().startsWith("(");
  }

  private boolean allowed(Node subject, Node peer, Port port, String type, String key, String peersKey) {
    boolean isolated = false;
    for (Obj policy : policies) {
      Map<String, Object> spec = policy.spec();
      if (!types(spec).contains(type) || !selects(spec.get("podSelector"), policyNamespace(policy), subject)) {
        continue;
      }
      isolated = true;
      for (Map<String, Object> rule : maps(spec.get(key))) {
        if (peersMatch(rule.get(peersKey), policyNamespace(policy), peer) && portsMatch(rule.get("ports"), type.equals("Ingress") ? subject : peer, port)) {
          return true;
        }
      }
    }
    return !isolated;
  }

  private String policyNamespace(Obj policy) {
    Object ns = map(policy.doc().get("metadata")).get("namespace");
    return ns == null ? namespace : String.valueOf(ns);
  }

  /** policyTypes, defaulted as the API server does: Ingress, plus Egress when egress rules exist. */
  private static Set<String> types(Map<String, Object> spec) {
    if (spec.get("policyTypes") instanceof List<?> l) {
      return Set.copyOf(l.stream().map(String::valueOf).toList());
    }
    return spec.containsKey("egress") ? Set.of("Ingress", "Egress") : Set.of("Ingress");
  }

  private static boolean selects(Object podSelector, String policyNamespace, Node node) {
    return node.namespace().equals(policyNamespace) && labelSelectorMatches(podSelector, node.labels());
  }

  private boolean peersMatch(Object peers, String policyNamespace, Node node) {
    if (!(peers instanceof List<?> list) || list.isEmpty()) {
      return true;
    }
    for (Map<String, Object> peer : maps(peers)) {
      if (peer.containsKey("ipBlock")) {
        return true;
      }
      boolean nsOk = peer.containsKey("namespaceSelector")
          ? labelSelectorMatches(peer.get("namespaceSelector"), namespaceLabels(node.namespace()))
          : node.namespace().equals(policyNamespace);
      boolean podOk = !peer.containsKey("podSelector") || labelSelectorMatches(peer.get("podSelector"), node.labels());
      if (nsOk && podOk) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, String> namespaceLabels(String namespace) {
    return Map.of("kubernetes.io/metadata.name", namespace);
  }

  private static boolean portsMatch(Object ports, Node destination, Port port) {
    if (!(ports instanceof List<?> list) || list.isEmpty()) {
      return true;
    }
    for (Map<String, Object> p : maps(ports)) {
      String protocol = String.valueOf(p.getOrDefault("protocol", "TCP"));
      if (!protocol.equals(port.protocol())) {
        continue;
      }
      Object value = p.get("port");
      if (value == null) {
        return true;
      }
      Integer number = value instanceof Integer i ? i : destination.namedPorts().get(String.valueOf(value));
      if (number == null) {
        continue;
      }
      int end = p.get("endPort") instanceof Integer e ? e : number;
      if (port.number() >= number && port.number() <= end) {
        return true;
      }
    }
    return false;
  }

  /** A LabelSelector: {} matches everything; matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
  static boolean labelSelectorMatches(Object selector, Map<String, String> labels) {
    Map<String, Object> s = map(selector);
    for (var e : map(s.get("matchLabels")).entrySet()) {
      if (!Objects.equals(labels.get(e.getKey()), String.valueOf(e.getValue()))) {
        return false;
      }
    }
    for (Map<String, Object> expr : maps(s.get("matchExpressions"))) {
      String key = String.valueOf(expr.get("key"));
      List<String> values = Manifests.strings(expr.get("values"));
      boolean ok = switch (String.valueOf(expr.get("operator"))) {
        case "In" -> labels.containsKey(key) && values.contains(labels.get(key));
        case "NotIn" -> !labels.containsKey(key) || !values.contains(labels.get(key));
        case "Exists" -> labels.containsKey(key);
        case "DoesNotExist" -> !labels.containsKey(key);
        default -> throw new AssertionError("unknown operator " + expr);
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static Node node(String name, String namespace, Map<String, String> labels, Map<String, Integer> named, Set<Port> ports) {
    return new Node(name, namespace, new LinkedHashMap<>(labels), new LinkedHashMap<>(named), ports);
  }

  static Set<Port> tcp(int... ports) {
    Set<Port> set = new TreeSet<>();
    for (int p : ports) {
      set.add(new Port(p, "TCP"));
    }
    return set;
  }

  static List<Node> list(Node... nodes) {
    return new ArrayList<>(List.of(nodes));
  }
}
