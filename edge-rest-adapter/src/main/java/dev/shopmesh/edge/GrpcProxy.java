package dev.shopmesh.edge;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.shopmesh.edge.Contracts.PublicMethod;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gRPC face of the edge: a transparent proxy for every public method, and the schema that
 * the platform's stock reflection services (v1 and v1alpha) read.
 *
 * <p><b>Proxy.</b> Messages stay bytes end to end (no re-parsing). Each call is opened on the
 * backend channel inside the incoming call's {@code io.grpc.Context}, so the client's deadline
 * and its cancellation reach the backend; the backend channel's service config caps the
 * deadline at {@code EDGE_BACKEND_TIMEOUT}. Metadata is forwarded both ways
 * ({@link HeaderForwarding#forGrpcProxy}). Internal methods have no handler, so the server
 * answers UNIMPLEMENTED for them.
 *
 * <p><b>Reflection.</b> Each file that defines a public service is rebuilt without its
 * non-public methods (and services), comments kept and renumbered, and each proxied service
 * carries that file as its schema descriptor. {@code grpcurl list} then shows the public
 * services, and {@code describe shopmesh.payment.v1.PaymentService} shows no Charge or Refund.
 */
final class GrpcProxy {
  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private GrpcProxy() {}

  /** One service definition per public service, each proxying to its backend. */
  static List<ServerServiceDefinition> services(Contracts contracts, Backends backends) {
    Map<String, List<PublicMethod>> byService = new LinkedHashMap<>();
    for (PublicMethod m : contracts.publicMethods()) {
      byService.computeIfAbsent(m.method().getService().getFullName(), k -> new ArrayList<>()).add(m);
    }
    Set<String> publicMethods = new HashSet<>();
    contracts.publicMethods().forEach(m -> publicMethods.add(m.method().getFullName()));

    Map<String, FileDescriptor> publicFiles = new HashMap<>();
    List<ServerServiceDefinition> definitions = new ArrayList<>();
    for (var entry : byService.entrySet()) {
      FileDescriptor original = entry.getValue().getFirst().method().getFile();
      FileDescriptor file =
          publicFiles.computeIfAbsent(original.getName(), n -> publicOnly(original, publicMethods));
      com.google.protobuf.Descriptors.ServiceDescriptor service = file.findServiceByName(
          entry.getValue().getFirst().method().getService().getName());
      Channel channel = backends.channel(service.getFullName());

      ServiceDescriptor.Builder descriptor =
          ServiceDescriptor.newBuilder(service.getFullName()).setSchemaDescriptor(new Schema(service, null));
      List<MethodDescriptor<byte[], byte[]>> methods = new ArrayList<>();
      for (var method : service.getMethods()) {
        MethodDescriptor<byte[], byte[]> md =
            MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type(method))
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service.getFullName(), method.getName()))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .setSchemaDescriptor(new Schema(service, method))
                .build();
        methods.add(md);
        descriptor.addMethod(md);
      }
      ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(descriptor.build());
      for (MethodDescriptor<byte[], byte[]> md : methods) {
        definition.addMethod(md, new ProxyHandler(channel, md));
      }
      definitions.add(definition.build());
    }
    return definitions;
  }

  private static MethodDescriptor.MethodType type(com.google.protobuf.Descriptors.MethodDescriptor m) {
    if (m.isClientStreaming()) {
      return m.isServerStreaming() ? MethodDescriptor.MethodType.BIDI_STREAMING : MethodDescriptor.MethodType.CLIENT_STREAMING;
    }
    return m.isServerStreaming() ? MethodDescriptor.MethodType.SERVER_STREAMING : MethodDescriptor.MethodType.UNARY;
  }

  /**
   * {@code file} without the methods that are not public, and without services left empty.
   * Source comments follow their elements to their new indexes.
   */
  static FileDescriptor publicOnly(FileDescriptor file, Set<String> publicMethods) {
    FileDescriptorProto proto = file.toProto();
    FileDescriptorProto.Builder rewritten = proto.toBuilder().clearService();
    Map<Integer, Integer> serviceIndex = new HashMap<>();
    Map<List<Integer>, Integer> methodIndex = new HashMap<>();
    for (int s = 0; s < proto.getServiceCount(); s++) {
      ServiceDescriptorProto service = proto.getService(s);
      String serviceName = (proto.getPackage().isEmpty() ? "" : proto.getPackage() + ".") + service.getName();
      ServiceDescriptorProto.Builder kept = service.toBuilder().clearMethod();
      for (int m = 0; m < service.getMethodCount(); m++) {
        if (publicMethods.contains(serviceName + "." + service.getMethod(m).getName())) {
          methodIndex.put(List.of(s, m), kept.getMethodCount());
          kept.addMethod(service.getMethod(m));
        }
      }
      if (kept.getMethodCount() > 0) {
        serviceIndex.put(s, rewritten.getServiceCount());
        rewritten.addService(kept);
      }
    }
    SourceCodeInfo.Builder info = SourceCodeInfo.newBuilder();
    for (SourceCodeInfo.Location loc : proto.getSourceCodeInfo().getLocationList()) {
      List<Integer> path = loc.getPathList();
      if (path.size() >= 2 && path.get(0) == FileDescriptorProto.SERVICE_FIELD_NUMBER) {
        Integer s = serviceIndex.get(path.get(1));
        if (s == null) {
          continue;
        }
        List<Integer> newPath = new ArrayList<>(path);
        newPath.set(1, s);
        if (path.size() >= 4 && path.get(2) == ServiceDescriptorProto.METHOD_FIELD_NUMBER) {
          Integer m = methodIndex.get(List.of(path.get(1), path.get(3)));
          if (m == null) {
            continue;
          }
          newPath.set(3, m);
        }
        info.addLocation(loc.toBuilder().clearPath().addAllPath(newPath));
      } else {
        info.addLocation(loc);
      }
    }
    rewritten.setSourceCodeInfo(info);
    try {
      return FileDescriptor.buildFrom(rewritten.build(), file.getDependencies().toArray(FileDescriptor[]::new));
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException("cannot rebuild " + file.getName() + " without internal methods", e);
    }
  }

  /** The schema that reflection reads from a service or method descriptor. */
  private record Schema(
      com.google.protobuf.Descriptors.ServiceDescriptor service,
      com.google.protobuf.Descriptors.MethodDescriptor method)
      implements ProtoServiceDescriptorSupplier, ProtoMethodDescriptorSupplier {
    @Override
    public FileDescriptor getFileDescriptor() {
      return service.getFile();
    }

    @Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return service;
    }

    @Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return method;
    }
  }

  /**
   * Relays one call. Both calls' methods are invoked under one lock, because callbacks of the
   * two sides arrive on different threads and neither ServerCall nor ClientCall is thread-safe.
   * Flow control: one message is requested from a side after each one is forwarded to the other.
   */
  private static final class ProxyHandler implements ServerCallHandler<byte[], byte[]> {
    private final Channel channel;
    private final MethodDescriptor<byte[], byte[]> method;

    ProxyHandler(Channel channel, MethodDescriptor<byte[], byte[]> method) {
      this.channel = channel;
      this.method = method;
    }

    @Override
    public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> serverCall, Metadata headers) {
      // Created in the server call's Context: its deadline and cancellation apply to this call.
      ClientCall<byte[], byte[]> clientCall = channel.newCall(method, CallOptions.DEFAULT);
      Object lock = new Object();
      synchronized (lock) {
        serverCall.request(1);
        clientCall.start(
            new ClientCall.Listener<>() {
              @Override
              public void onHeaders(Metadata responseHeaders) {
                synchronized (lock) {
                  serverCall.sendHeaders(HeaderForwarding.forGrpcProxy(responseHeaders));
                }
              }

              @Override
              public void onMessage(byte[] message) {
                synchronized (lock) {
                  serverCall.sendMessage(message);
                  clientCall.request(1);
                }
              }

              @Override
              public void onClose(Status status, Metadata trailers) {
                synchronized (lock) {
                  if (!serverCall.isCancelled()) {
                    serverCall.close(status, HeaderForwarding.forGrpcProxy(trailers));
                  }
                }
              }
            },
            HeaderForwarding.forGrpcProxy(headers));
        clientCall.request(1);
      }
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          synchronized (lock) {
            clientCall.sendMessage(message);
            serverCall.request(1);
          }
        }

        @Override
        public void onHalfClose() {
          synchronized (lock) {
            clientCall.halfClose();
          }
        }

        @Override
        public void onCancel() {
          synchronized (lock) {
            clientCall.cancel("the client cancelled the call", null);
          }
        }
      };
    }
  }
}
