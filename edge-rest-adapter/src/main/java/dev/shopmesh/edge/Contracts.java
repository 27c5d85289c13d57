package dev.shopmesh.edge;

import com.google.api.AnnotationsProto;
import com.google.api.FieldBehaviorProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionRegistry;
import dev.shopmesh.access.v1.AccessProto;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.platform.auth.AccessRules;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TypeRegistry;
import dev.shopmesh.platform.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The contracts as the edge sees them: every file of a FileDescriptorSet (the same file Envoy's
 * transcoder reads), and the methods that carry a {@code google.api.http} rule.
 *
 * <p>A method is public exactly when it has an http rule. That one fact drives everything the
 * edge serves: REST routes, the gRPC proxy, reflection and OpenAPI. Nothing is hard-coded per
 * service, so a new contract is served as soon as its descriptors are in the set.
 */
public final class Contracts {
  /** A public method and its HTTP bindings (the rule itself first, then additional bindings). */
  public record PublicMethod(MethodDescriptor method, List<HttpRule> bindings) {
    public String fullName() {
      return method.getService().getFullName() + "/" + method.getName();
    }

    /** Safe to retry after UNAVAILABLE: marked idempotent in the contract, or bound to GET. */
    public boolean idempotent() {
      return switch (method.getOptions().getIdempotencyLevel()) {
        case NO_SIDE_EFFECTS, IDEMPOTENT -> true;
        default -> bindings.getFirst().getPatternCase() == HttpRule.PatternCase.GET;
      };
    }
  }

  private final Map<String, FileDescriptor> files;
  private final List<PublicMethod> publicMethods;
  private final TypeRegistry typeRegistry;
  private final Map<String, Map<List<Integer>, String>> comments = new HashMap<>();

  private Contracts(Map<String, FileDescriptor> files) {
    this.files = files;
    List<PublicMethod> methods = new ArrayList<>();
    TypeRegistry.Builder types = TypeRegistry.newBuilder();
    for (FileDescriptor file : files.values()) {
      types.add(file.getMessageTypes());
      for (ServiceDescriptor service : file.getServices()) {
        for (MethodDescriptor method : service.getMethods()) {
          // Routed: an http rule, and an access rule an edge may serve (never INTERNAL, never none).
          Level level = AccessRules.ruleOf(method).getLevel();
          if (level == Level.PUBLIC || level == Level.SIGNED_IN || level == Level.ADMIN) {
            httpRule(method).ifPresent(rule -> methods.add(new PublicMethod(method, bindings(rule))));
          }
        }
      }
    }
    if (!files.containsKey("google/rpc/error_details.proto")) {
      // Backends send ErrorInfo and BadRequest details; print them even from a lean set.
      types.add(com.google.rpc.ErrorInfo.getDescriptor().getFile().getMessageTypes());
    }
    this.publicMethods = List.copyOf(methods);
    this.typeRegistry = types.build();
  }

  /**
   * Reads {@code path}, or the set on the classpath at {@code /shopmesh.protobin} when empty.
   *
   * @throws ConfigException when the file cannot be read or is not a valid descriptor set
   */
  public static Contracts load(Optional<String> path) {
    try {
      if (path.isPresent()) {
        return parse(Files.readAllBytes(Path.of(path.get())), "DESCRIPTOR_SET=" + path.get());
      }
      try (InputStream in = Contracts.class.getResourceAsStream("/shopmesh.protobin")) {
        if (in == null) {
          throw new ConfigException(
              "no descriptor set: /shopmesh.protobin is not on the classpath and DESCRIPTOR_SET is not set");
        }
        return parse(in.readAllBytes(), "classpath:/shopmesh.protobin");
      }
    } catch (IOException e) {
      throw new ConfigException("DESCRIPTOR_SET: cannot read " + path.orElse("") + ": " + e.getMessage());
    }
  }

  /** Parses a serialized FileDescriptorSet, keeping the http and field_behavior options. */
  public static Contracts parse(byte[] descriptorSet, String source) {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    FieldBehaviorProto.registerAllExtensions(registry);
    AccessProto.registerAllExtensions(registry);
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(descriptorSet, registry);
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException(source + " is not a FileDescriptorSet: " + e.getMessage());
    }
    Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
    set.getFileList().forEach(f -> protos.put(f.getName(), f));
    Map<String, FileDescriptor> built = new LinkedHashMap<>();
    for (String name : protos.keySet()) {
      build(name, protos, built, source);
    }
    return new Contracts(built);
  }

  private static FileDescriptor build(
      String name, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> built, String source) {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new ConfigException(
          source + " lacks " + name + ": build it with --include_imports");
    }
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep, protos, built, source));
    }
    try {
      FileDescriptor file = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
      built.put(name, file);
      return file;
    } catch (DescriptorValidationException e) {
      throw new ConfigException(source + ": invalid " + name + ": " + e.getMessage());
    }
  }

  static Optional<HttpRule> httpRule(MethodDescriptor method) {
    var options = method.toProto().getOptions();
    return options.hasExtension(AnnotationsProto.http)
        ? Optional.of(options.getExtension(AnnotationsProto.http))
        : Optional.empty();
  }

  private static List<HttpRule> bindings(HttpRule rule) {
    List<HttpRule> all = new ArrayList<>();
    all.add(rule.toBuilder().clearAdditionalBindings().build());
    all.addAll(rule.getAdditionalBindingsList());
    return List.copyOf(all);
  }

  /** Every file of the set, by name, in dependency order. */
  public Map<String, FileDescriptor> files() {
    return files;
  }

  /** The methods with an http rule, in the order of the set. */
  public List<PublicMethod> publicMethods() {
    return publicMethods;
  }

  /** Every message of the set, for printing and parsing {@code Any} (error details). */
  public TypeRegistry typeRegistry() {
    return typeRegistry;
  }

  public Optional<Descriptor> message(String fullName) {
    return Optional.ofNullable(typeRegistry.find(fullName));
  }

  /** The leading comment of a descriptor in its .proto source, trimmed; empty when none. */
  public String comment(Object descriptor) {
    FileDescriptor file;
    List<Integer> path;
    switch (descriptor) {
      case Descriptor d -> {
        file = d.getFile();
        path = path(d);
      }
      case FieldDescriptor f -> {
        file = f.getFile();
        path = append(path(f.getContainingType()), 2, f.getIndex());
      }
      case EnumDescriptor e -> {
        file = e.getFile();
        path = path(e);
      }
      case EnumValueDescriptor v -> {
        file = v.getFile();
        path = append(path(v.getType()), 2, v.getIndex());
      }
      case ServiceDescriptor s -> {
        file = s.getFile();
        path = List.of(6, s.getIndex());
      }
      case MethodDescriptor m -> {
        file = m.getFile();
        path = List.of(6, m.getService().getIndex(), 2, m.getIndex());
      }
      default -> {
        return "";
      }
    }
    return commentsOf(file).getOrDefault(path, "");
  }

  private synchronized Map<List<Integer>, String> commentsOf(FileDescriptor file) {
    return comments.computeIfAbsent(
        file.getName(),
        name -> {
          Map<List<Integer>, String> byPath = new HashMap<>();
          for (SourceCodeInfo.Location loc : file.toProto().getSourceCodeInfo().getLocationList()) {
            if (loc.hasLeadingComments()) {
              byPath.put(List.copyOf(loc.getPathList()), clean(loc.getLeadingComments()));
            }
          }
          return byPath;
        });
  }

  private static String clean(String comment) {
    return comment.lines().map(String::strip).reduce((a, b) -> a + "\n" + b).orElse("").strip();
  }

  private static List<Integer> path(Descriptor d) {
    return d.getContainingType() == null
        ? List.of(4, d.getIndex())
        : append(path(d.getContainingType()), 3, d.getIndex());
  }

  private static List<Integer> path(EnumDescriptor e) {
    return e.getContainingType() == null
        ? List.of(5, e.getIndex())
        : append(path(e.getContainingType()), 4, e.getIndex());
  }

  private static List<Integer> append(List<Integer> base, int kind, int index) {
    List<Integer> p = new ArrayList<>(base);
    p.add(kind);
    p.add(index);
    return List.copyOf(p);
  }
}
