package dev.shopmesh.cluster;

import dev.shopmesh.platform.config.Env;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;

/** The Maven modules that compose runs as services, as far as their poms and classes tell. */
final class ServiceModules {
  /** A runnable service module: its jar is {@code target/<finalName>.jar} with Main-Class. */
  record Module(String name, Path dir, String mainClass, String finalName) {
    Path jar() {
      return dir.resolve("target").resolve(finalName + ".jar");
    }
  }

  /** A service started through its production wiring. */
  record Running(Object server) {
    /** The gRPC port: {@code port()} of a service, {@code grpcPort()} of the edge. */
    int grpcPort() {
      return (Integer) call(hasMethod("grpcPort") ? "grpcPort" : "port");
    }

    void stop() {
      call(hasMethod("stop") ? "stop" : "close");
    }

    private boolean hasMethod(String name) {
      try {
        server.getClass().getMethod(name);
        return true;
      } catch (NoSuchMethodException e) {
        return false;
      }
    }

    private Object call(String name) {
      try {
        return server.getClass().getMethod(name).invoke(server);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(server.getClass() + "." + name + "()", e);
      }
    }
  }

  private ServiceModules() {}

  /** The module named {@code name}, if this branch has it. */
  static Optional<Module> find(String name) {
    Path dir = Repo.file(name);
    Path pom = dir.resolve("pom.xml");
    if (!Files.isRegularFile(pom)) {
      return Optional.empty();
    }
    try {
      Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
      var xpath = XPathFactory.newInstance().newXPath();
      String mainClass = xpath.evaluate("/project/properties/*[name()='main.class']", doc).trim();
      String finalName = xpath.evaluate("/project/build/finalName", doc).trim();
      return Optional.of(new Module(name, dir, mainClass, finalName));
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + pom, e);
    }
  }

  /** {@code modules} and every module of this reactor they depend on, in any scope (what -am builds). */
  static Set<String> reactorClosure(Set<String> modules) {
    Set<String> closure = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(modules);
    while (!todo.isEmpty()) {
      String module = todo.pop();
      if (!closure.add(module)) {
        continue;
      }
      Path pom = Repo.file(module).resolve("pom.xml");
      try {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        var nodes = (org.w3c.dom.NodeList) XPathFactory.newInstance().newXPath()
            .evaluate("/project/dependencies/dependency[groupId='dev.shopmesh']/artifactId", doc, javax.xml.xpath.XPathConstants.NODESET);
        for (int i = 0; i < nodes.getLength(); i++) {
          todo.push(nodes.item(i).getTextContent().trim());
        }
      } catch (Exception e) {
        throw new IllegalStateException("cannot read " + pom, e);
      }
    }
    return closure;
  }

  /** The module's main class from the test classpath, where cluster-config must put it. */
  static Class<?> mainClass(Module module) {
    try {
      return Class.forName(module.mainClass());
    } catch (ClassNotFoundException e) {
      throw new AssertionError(
          module.mainClass() + " (module " + module.name() + ") is not on cluster-config's test"
              + " classpath: add dev.shopmesh:" + module.name() + " as a test dependency of"
              + " cluster-config/pom.xml");
    }
  }

  /** {@code Main.DEFAULT_PORT}, where the module declares one. */
  static Optional<Integer> defaultPort(Class<?> main) {
    try {
      var field = main.getField("DEFAULT_PORT");
      return Optional.of(field.getInt(null));
    } catch (NoSuchFieldException e) {
      return Optional.empty();
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts the service with {@code Main.start(Env)}, its production wiring. */
  static Running start(Class<?> main, Env env) throws Exception {
    Method start = main.getMethod("start", Env.class);
    if (!Modifier.isStatic(start.getModifiers())) {
      throw new AssertionError(main + ".start(Env) should be static");
    }
    try {
      return new Running(start.invoke(null, env));
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }
}
