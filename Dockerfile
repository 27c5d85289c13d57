# syntax=docker/dockerfile:1
#
# Images for the compose cluster, from one Maven build:
#
#   target "service" (build arg SERVICE=user-svc | order-svc | payment-svc | edge-rest-adapter)
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
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -Dmaven.test.skip=true -pl '!cluster-config' package

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
# JVM flags for a container with a memory limit (compose: 512M) and a core or two:
#   MaxRAMPercentage=50   heap = half the limit. The rest is for metaspace, the JIT's code cache,
#                         Netty's direct buffers, thread stacks, and the health-probe JVM that
#                         Docker starts inside the same cgroup at every healthcheck.
#   UseSerialGC           heaps of a few hundred MB on one or two cores: the smallest footprint
#                         and no concurrent GC threads competing with the service; young pauses
#                         stay in the milliseconds. (The JVM picks it anyway below 2 CPUs and
#                         1792 MB; saying so makes it independent of the host.)
#   ExitOnOutOfMemoryError  a JVM out of heap is in an unknown state: exit, let the restart
#                         policy start a fresh one, rather than limp on half-broken.
#   TrimNativeHeapInterval  hand memory the JIT compilers freed back to the OS every 5 s; glibc
#                         keeps it otherwise. 20-30 MB less resident per JVM under ./mesh up
#                         (docs/PERFORMANCE.md, "Memory").
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-XX:TrimNativeHeapInterval=5000", "-jar", "/app/app.jar"]

# ---------------------------------------------------------------------------------------------
# The descriptor set is a build product, so it is built into Envoy's image (rather than copied
# into a shared volume by a one-shot container): it is always the one from the same build as
# the services, nothing can go stale in a volume between `up --build`s, and Envoy needs no
# start-up ordering. envoy.yaml stays a bind mount (compose.yaml), editable without a rebuild.
FROM ${ENVOY_IMAGE} AS envoy
COPY --from=build /src/proto/target/descriptor/shopmesh.protobin /etc/envoy/shopmesh.protobin
