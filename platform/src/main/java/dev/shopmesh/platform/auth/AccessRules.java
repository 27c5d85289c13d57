package dev.shopmesh.platform.auth;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.shopmesh.access.v1.AccessProto;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.access.v1.Rule;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may call each method, read once from the {@code (shopmesh.access.v1.access)} option that
 * every method of the contracts declares. A method without a rule (or with
 * {@code LEVEL_UNSPECIFIED}) is denied to everyone; so is a method of a service whose schema is
 * not known.
 *
 * <p>Health and server reflection are not in the contracts; {@link AuthInterceptor} is not installed on them, so they stay
 * public: probes need health without a token, and reflection shows only the published contracts.
 */
public final class AccessRules {
  private static final Rule DENIED = Rule.getDefaultInstance();
  private static final ExtensionRegistry REGISTRY = registry();

  private final Map<String, Rule> byMethod;

  private AccessRules(Map<String, Rule> byMethod) {
    this.byMethod = Map.copyOf(byMethod);
  }

  /** The rules of every method of {@code services} (full names {@code pkg.Service/Method}). */
  public static AccessRules of(Collection<Descriptors.ServiceDescriptor> services) {
    Map<String, Rule> rules = new LinkedHashMap<>();
    for (Descriptors.ServiceDescriptor service : services) {
      for (Descriptors.MethodDescriptor method : service.getMethods()) {
        rules.put(service.getFullName() + "/" + method.getName(), ruleOf(method));
      }
    }
    return new AccessRules(rules);
  }

  /**
   * Rules given by hand, for services whose contracts cannot carry the option (grpc-java's test
   * services). Production services take theirs from their descriptors.
   */
  public static AccessRules declared(Map<String, Rule> rules) {
    return new AccessRules(rules);
  }

  /** The rules of the services a server serves, from their schema descriptors. */
  public static AccessRules ofDefinitions(Collection<ServerServiceDefinition> definitions) {
    return of(
        definitions.stream()
            .map(d -> d.getServiceDescriptor().getSchemaDescriptor())
            .filter(ProtoServiceDescriptorSupplier.class::isInstance)
            .map(s -> ((ProtoServiceDescriptorSupplier) s).getServiceDescriptor())
            .toList());
  }

  /**
   * The rule a method declares. Descriptors built at run time from a descriptor set parsed
   * without the access extension keep the option as an unknown field: it is read from there.
   */
  public static Rule ruleOf(Descriptors.MethodDescriptor method) {
    MethodOptions options = method.getOptions();
    if (options.hasExtension(AccessProto.access)) {
      return options.getExtension(AccessProto.access);
    }
    try {
      MethodOptions reparsed = MethodOptions.parseFrom(options.toByteString(), REGISTRY);
      return reparsed.hasExtension(AccessProto.access) ? reparsed.getExtension(AccessProto.access) : DENIED;
    } catch (InvalidProtocolBufferException e) {
      return DENIED;
    }
  }

  /** The rule of {@code fullMethodName}; the empty (denying) rule when there is none. */
  public Rule rule(String fullMethodName) {
    return byMethod.getOrDefault(fullMethodName, DENIED);
  }

  public Level level(String fullMethodName) {
    return rule(fullMethodName).getLevel();
  }

  /** Every method with its rule. */
  public Map<String, Rule> all() {
    return byMethod;
  }

  private static ExtensionRegistry registry() {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AccessProto.registerAllExtensions(registry);
    return registry;
  }
}
