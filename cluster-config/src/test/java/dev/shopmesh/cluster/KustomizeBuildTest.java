package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * deploy/k8s builds, as {@code kubectl apply -k} would build it: both overlays, every folder of
 * tests/, and every combination of the components (one database component, any subset of the
 * others), each into objects that parse strictly into the Kubernetes API's model classes (and
 * CloudNativePG's schema) and pass every check of {@link K8sLint}.
 */
class KustomizeBuildTest {
  static final List<String> DATABASES = List.of("postgres-statefulset", "cloudnative-pg");

  private static K8sTree tree;

  @BeforeAll
  static void copyTheTree() {
    Kubectl.assumeAvailable();
    tree = K8sTree.copy();
  }

  @AfterAll
  static void removeTheCopy() {
    if (tree != null) {
      tree.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyOverlayAndEveryTestsFolderBuildsParsesStrictlyAndPassesTheLint() {
    List<String> dirs = new ArrayList<>(List.of("overlays/dev", "overlays/prod"));
    folders("tests").forEach(d -> dirs.add("tests/" + d));
    return dirs.stream().map(d -> dynamicTest(d, () -> check(d)));
  }

  @TestFactory
  Stream<DynamicTest> everyCombinationOfComponentsBuildsParsesStrictlyAndPassesTheLint() {
    List<String> optional = folders("components").stream().filter(c -> !DATABASES.contains(c)).toList();
    List<DynamicTest> tests = new ArrayList<>();
    for (String database : DATABASES) {
      for (int mask = 0; mask < (1 << optional.size()); mask++) {
        List<String> components = new ArrayList<>(List.of(database));
        for (int i = 0; i < optional.size(); i++) {
          if ((mask & (1 << i)) != 0) {
            components.add(optional.get(i));
          }
        }
        String name = String.join("+", components);
        tests.add(dynamicTest(name, () -> {
          StringBuilder k = new StringBuilder("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\ncomponents:\n");
          components.forEach(c -> k.append("- ../../components/").append(c).append('\n'));
          tree.write(K8sTree.K8S + "/combinations/" + name + "/kustomization.yaml", k.toString());
          check("combinations/" + name);
        }));
      }
    }
    return tests.stream();
  }

  @Test
  void theComponentsAreTheOnesTheCombinationsAreMadeOf() {
    assertThat(folders("components")).containsAll(DATABASES)
        .contains("autoscaling", "network-policies", "topology-spread");
  }

  @Test
  void theDescriptorSetConfigMapCarriesTheBuildsDescriptorSetAsBinaryData() throws IOException {
    Manifests prod = tree.build("overlays/prod");
    var configMap = prod.ofKind("ConfigMap").filter(c -> c.name().startsWith("envoy-descriptors")).findFirst().orElseThrow();
    String encoded = String.valueOf(Manifests.map(configMap.doc().get("binaryData")).get("shopmesh.protobin")).replaceAll("\\s", "");

    assertThat(java.util.Base64.getDecoder().decode(encoded))
        .isEqualTo(Files.readAllBytes(Repo.file("proto/target/descriptor/shopmesh.protobin")));
    assertThat(encoded.length()).as("a ConfigMap holds 1 MiB at most").isLessThan(1 << 20);
  }

  @Test
  void envoysConfigMapIsTheRepositorysEnvoyYaml() {
    Manifests prod = tree.build("overlays/prod");
    var configMap = prod.ofKind("ConfigMap").filter(c -> c.name().startsWith("envoy-config")).findFirst().orElseThrow();

    assertThat(String.valueOf(Manifests.map(configMap.doc().get("data")).get("envoy.yaml"))).isEqualTo(Repo.read(Envoy.CONFIG));
  }

  private static void check(String dir) {
    Manifests m = tree.build(dir);
    assertThat(m.all()).as(dir + " builds objects").isNotEmpty();
    assertThat(StrictModels.problems(m)).as(dir + ": objects that do not parse strictly").isEmpty();
    assertThat(new K8sLint(m).all()).as(dir + ": lint").isEmpty();
  }

  static List<String> folders(String underK8s) {
    try (Stream<Path> s = Files.list(Repo.file(K8sTree.K8S).resolve(underK8s))) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
