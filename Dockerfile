# syntax=docker/dockerfile:1
#
# Images for the compose cluster, from one Maven build:
#
#   target "service" (build arg SERVICE=user-svc | order-svc | payment-svc | notification-svc |
#       edge-rest-adapter)
#       one Java module on a JRE, as a non-root user
#   target "envoy"
#       the pinned official Envoy image plus the descriptor set its transcoder reads
#
# The build stage uses no build arg, so every image shares one cached Maven build of the whole
# reactor (tests run in CI, not here). BuildKit's cache mount keeps ~/.m2 between builds.

ARG JDK_IMAGE=eclipse-temurin:25-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:25-jre-noble
ARG ENVOY_IMAGE=envoyproxy/envoy:v1.34.14

# ---------------------------------------------------------------------------------------------
FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY . .
# Only the modules the images hold, and what they need (-am): not the launcher, the load
# generator or the test modules, which would bring PostgreSQL binaries for three platforms.
# (testkit still comes, as the services' test-scoped dependency, with the one linux-amd64 set.)
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -Dmaven.test.skip=true -pl user-svc,order-svc,payment-svc,notification-svc,edge-rest-adapter -am package

# ---------------------------------------------------------------------------------------------
# Splits one module's runtime classpath into layers, from least to most often changed:
# third-party jars, this project's own library jars (*-SNAPSHOT), the module's jar.
FROM build AS layers
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build arg SERVICE is required, e.g. user-svc" >&2; exit 1; }; \
    test -f "${SERVICE}/target/${SERVICE}.jar" \
      || { echo "no runnable jar ${SERVICE}/target/${SERVICE}.jar: is ${SERVICE} a service module?" >&2; exit 1; }; \
    mkdir -p /layers/deps /layers/project /layers/app \
    && cp "${SERVICE}"/target/lib/*.jar /layers/deps/ \
    && find /layers/deps -name '*-SNAPSHOT.jar' -exec mv -t /layers/project/ {} + \
    && cp "${SERVICE}/target/${SERVICE}.jar" /layers/app/app.jar

# ---------------------------------------------------------------------------------------------
FROM ${JRE_IMAGE} AS service
RUN groupadd --system --gid 10001 shopmesh \
    && useradd --system --uid 10001 --gid shopmesh --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin shopmesh
WORKDIR /app
# The app jar's manifest Class-Path names lib/<artifact>.jar, next to it.
COPY --from=layers /layers/deps/ /app/lib/
COPY --from=layers /layers/project/ /app/lib/
COPY --from=layers /layers/app/app.jar /app/app.jar
USER 10001:10001
# Listen on every interface of the container: the services bind loopback unless told (BIND_HOST,
# ServerSettings), which is right for ./mesh up and wrong behind compose's and Kubernetes' networks.
ENV BIND_HOST=0.0.0.0
# JVM flags for a container with a 512 MB limit (compose) and a core or two. Every part of the
# JVM's memory is capped, not only the heap, so that the sum stays under the limit and the end
# of memory is an OutOfMemoryError the JVM reports, not the kernel's OOM kill:
#   Xmx160m                  heap (./mesh up runs these services in 128m)
#   MaxMetaspaceSize=96m     class metadata
#   ReservedCodeCacheSize=48m  the JIT's compiled code
#   MaxDirectMemorySize=48m  Netty's direct buffers
#   Xss512k                  each platform thread's stack (calls run on virtual threads, whose
#                            stacks live in the heap)
# 160 + 96 + 48 + 48 = 352 MB, plus 64 thread stacks (32 MB) and the JVM's own native memory
# (GC, symbols, malloc; 48 MB) = 432 MB, plus the 80 MB the healthcheck's probe JVM may take in
# the same cgroup (compose.yaml) = 512 MB. cluster-config's DockerfileTest adds these up.
#   UseSerialGC           heaps of a few hundred MB on one or two cores: the smallest footprint
#                         and no concurrent GC threads competing with the service.
#   ExitOnOutOfMemoryError  a JVM out of heap is in an unknown state: exit, let the restart
#                         policy start a fresh one, rather than limp on half-broken.
#   TrimNativeHeapInterval  hand memory the JIT compilers freed back to the OS every 5 s; glibc
#                         keeps it otherwise. 20-30 MB less resident per JVM under ./mesh up
#                         (docs/PERFORMANCE.md, "Memory").
# Kubernetes sets its own, sized from its limits (deploy/k8s/base).
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-Xms64m", "-Xmx160m", "-Xss512k", "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=48m", "-XX:MaxDirectMemorySize=48m", "-XX:+ExitOnOutOfMemoryError", "-XX:TrimNativeHeapInterval=5000", "-jar", "/app/app.jar"]

# ---------------------------------------------------------------------------------------------
# The descriptor set is a build product, so it is built into Envoy's image (rather than copied
# into a shared volume by a one-shot container): it is always the one from the same build as
# the services, nothing can go stale in a volume between `up --build`s, and Envoy needs no
# start-up ordering. envoy.yaml stays a bind mount (compose.yaml), editable without a rebuild.
FROM ${ENVOY_IMAGE} AS envoy
COPY --from=build /src/proto/target/descriptor/shopmesh.protobin /etc/envoy/shopmesh.protobin
