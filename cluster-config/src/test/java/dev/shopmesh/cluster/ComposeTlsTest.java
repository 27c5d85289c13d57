package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * compose.yaml's TLS material: every TLS_*_FILE a service is given is a compose secret that
 * service mounts, made from the file `./mesh certs deploy/tls` writes for that very service
 * (its own certificate and key, the mesh CA), under deploy/tls, which git ignores.
 * (ComposeServicesTest starts each service with these variables: a missing one fails there.)
 */
class ComposeTlsTest {
  static final String DIR = "./deploy/tls/";

  @SuppressWarnings("unchecked")
  static List<String> problems(Map<String, Object> model) {
    List<String> p = new ArrayList<>();
    Map<String, Object> secrets = model.get("secrets") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    Map<String, Object> services = Compose.map(model.get("services"));
    services.forEach((name, s) -> {
      Map<String, Object> service = Compose.map(s);
      Map<String, Object> env = service.get("environment") instanceof Map<?, ?> e ? (Map<String, Object>) e : Map.of();
      Map<String, String> mounted = new java.util.HashMap<>(); // target -> source
      if (service.get("secrets") instanceof List<?> list) {
        for (Object entry : list) {
          Map<String, Object> ref = Compose.map(entry);
          mounted.put(String.valueOf(ref.get("target")), String.valueOf(ref.get("source")));
        }
      }
      env.forEach((variable, value) -> {
        if (!variable.startsWith("TLS_") || !variable.endsWith("_FILE")) {
          return;
        }
        String path = String.valueOf(value);
        String expectedFile = switch (variable) {
          case "TLS_CERT_FILE" -> name + ".crt";
          case "TLS_KEY_FILE" -> name + ".key";
          case "TLS_CA_FILE" -> "ca.crt";
          default -> "?";
        };
        if (!path.startsWith("/run/secrets/")) {
          p.add(name + ": " + variable + " is " + path + ", not a compose secret under /run/secrets/");
          return;
        }
        String source = mounted.get(path.substring("/run/secrets/".length()));
        if (source == null) {
          p.add(name + ": " + variable + " names " + path + ", which no secret of " + name + " mounts");
          return;
        }
        Object secret = secrets.get(source);
        String file = secret instanceof Map<?, ?> sm ? String.valueOf(sm.get("file")) : null;
        if (!(DIR + expectedFile).equals(file)) {
          p.add(name + ": " + variable + " is the secret " + source + ", from " + file + ", not " + DIR + expectedFile
              + " (what ./mesh certs writes for " + name + ")");
        }
      });
    });
    if (!Repo.read(".gitignore").lines().anyMatch(l -> l.trim().equals("deploy/tls/"))) {
      p.add(".gitignore does not ignore deploy/tls/: the private keys could be committed");
    }
    return p;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String yaml) {
    return (Map<String, Object>) Repo.parseYaml(yaml);
  }

  @Test
  void everyTlsFileIsAMountedSecretOfTheRightService() {
    assertThat(problems(Compose.model())).isEmpty();
    assertThat(Compose.environment("payment-svc")).containsKeys("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE", "INTERNAL_PORT");
    assertThat(Compose.environment("order-svc")).containsKeys("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE");
  }

  @Test
  void orderSvcWithPaymentSvcsKeyIsCaught() {
    String broken = Repo.read(Compose.FILE).replace("- { source: order_svc_tls_key, target: order-svc.key }", "- { source: payment_svc_tls_key, target: order-svc.key }");

    assertThat(problems(parse(broken))).anySatisfy(p -> assertThat(p).contains("order-svc: TLS_KEY_FILE").contains("./deploy/tls/order-svc.key"));
  }

  @Test
  void aTlsFileNoSecretMountsIsCaught() {
    String broken = Repo.read(Compose.FILE).replace("      - { source: tls_ca, target: ca.crt }\n      - { source: payment_svc_tls_cert", "      - { source: payment_svc_tls_cert");

    assertThat(problems(parse(broken))).anySatisfy(p -> assertThat(p).contains("payment-svc: TLS_CA_FILE names /run/secrets/ca.crt, which no secret"));
  }

  @Test
  void aSecretFromACommittedFolderIsCaught() {
    String broken = Repo.read(Compose.FILE).replace("file: ./deploy/tls/payment-svc.key", "file: ./deploy/payment-svc.key");

    assertThat(problems(parse(broken))).anySatisfy(p -> assertThat(p).contains("from ./deploy/payment-svc.key"));
  }
}
