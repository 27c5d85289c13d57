package dev.shopmesh.cluster;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import dev.shopmesh.access.v1.AccessProto;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.access.v1.Rule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The contracts as Envoy's transcoder and the Java edge see them: the descriptor set the proto
 * module builds ({@code --include_imports --include_source_info}), read from the proto jar's
 * {@code /shopmesh.protobin}.
 */
final class Descriptors {
  /**
   * One RPC of the descriptor set; public (routed by the edges) exactly when it has a
   * google.api.http rule. {@code access} is its {@code (shopmesh.access.v1.access)} rule.
   */
  record Rpc(String service, String method, Optional<HttpRule> http, Optional<Rule> access) {
    String path() {
      return "/" + service + "/" + method;
    }

    boolean isPublic() {
      return http.isPresent();
    }

    /** The access level its contract declares (LEVEL_UNSPECIFIED, denied, when none). */
    Level level() {
      return access.map(Rule::getLevel).orElse(Level.LEVEL_UNSPECIFIED);
    }

    /** Needs no token: sign-up, sign-in, refresh. */
    boolean needsNoToken() {
      return level() == Level.PUBLIC;
    }

    /** An HTTP GET: safe and idempotent by HTTP's own rules, so a read. */
    boolean isRead() {
      return http.map(r -> r.getPatternCase() == HttpRule.PatternCase.GET).orElse(false);
    }

    @Override
    public String toString() {
      return path();
    }
  }

  private static final FileDescriptorSet SET = load();

  private Descriptors() {}

  static FileDescriptorSet set() {
    return SET;
  }

  /** Every RPC of the shopmesh packages (not of the google/* imports). */
  static List<Rpc> shopmeshRpcs() {
    List<Rpc> rpcs = new ArrayList<>();
    for (FileDescriptorProto file : SET.getFileList()) {
      if (!file.getPackage().startsWith("shopmesh.")) {
        continue;
      }
      for (ServiceDescriptorProto service : file.getServiceList()) {
        String name = file.getPackage() + "." + service.getName();
        for (MethodDescriptorProto method : service.getMethodList()) {
          Optional<HttpRule> rule =
              method.getOptions().hasExtension(AnnotationsProto.http)
                  ? Optional.of(method.getOptions().getExtension(AnnotationsProto.http))
                  : Optional.empty();
          Optional<Rule> access =
              method.getOptions().hasExtension(AccessProto.access)
                  ? Optional.of(method.getOptions().getExtension(AccessProto.access))
                  : Optional.empty();
          rpcs.add(new Rpc(name, method.getName(), rule, access));
        }
      }
    }
    return rpcs;
  }

  static List<Rpc> publicRpcs() {
    return shopmeshRpcs().stream().filter(Rpc::isPublic).toList();
  }

  /** The RPCs whose access rule is INTERNAL: mutual TLS between services, never routed. */
  static List<Rpc> internalRpcs() {
    return shopmeshRpcs().stream().filter(r -> r.level() == Level.INTERNAL).toList();
  }

  /** The RPCs that are not routed by the edges (no google.api.http rule). */
  static List<Rpc> unroutedRpcs() {
    return shopmeshRpcs().stream().filter(r -> !r.isPublic()).toList();
  }

  /** Every service in the set, imports included, fully qualified. */
  static Set<String> allServices() {
    Set<String> names = new TreeSet<>();
    for (FileDescriptorProto file : SET.getFileList()) {
      for (ServiceDescriptorProto service : file.getServiceList()) {
        names.add(
            (file.getPackage().isEmpty() ? "" : file.getPackage() + ".") + service.getName());
      }
    }
    return names;
  }

  /** The services with at least one public RPC. */
  static Set<String> publicServices() {
    return publicRpcs().stream().map(Rpc::service).collect(Collectors.toCollection(TreeSet::new));
  }

  private static FileDescriptorSet load() {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    AccessProto.registerAllExtensions(registry);
    try (InputStream in = Descriptors.class.getResourceAsStream("/shopmesh.protobin")) {
      if (in == null) {
        throw new IllegalStateException("/shopmesh.protobin is not on the classpath (proto module jar)");
      }
      return FileDescriptorSet.parseFrom(in, registry);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
