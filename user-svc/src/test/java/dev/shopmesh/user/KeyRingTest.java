package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.testkit.TestIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key directory: newest signs, all published, *.next.pem published only. */
class KeyRingTest {
  @Test
  void theKeyWhoseNameSortsLastSignsAndEveryKeyIsPublished() {
    TestIdentity id = TestIdentity.create();
    try (id) {
      var first = id.signingKey();
      var second = id.addKey(true);
      KeyRing ring = KeyRing.load(id.keysDir());
      assertThat(ring.signing().getKeyID()).isEqualTo(second.getKeyID());
      assertThat(ring.publicKeys().getKeys()).extracting(k -> k.getKeyID()).containsExactly(first.getKeyID(), second.getKeyID());
      assertThat(ring.publicKeys().getKeys()).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
    }
  }

  @Test
  void aNextKeyIsPublishedBeforeItSigns() {
    TestIdentity id = TestIdentity.create();
    try (id) {
      var current = id.signingKey();
      var next = id.addKey(false);
      KeyRing ring = KeyRing.load(id.keysDir());
      assertThat(ring.signing().getKeyID()).isEqualTo(current.getKeyID());
      assertThat(ring.publicKeys().getKeyByKeyId(next.getKeyID())).isNotNull();
    }
  }

  @Test
  void aDirectoryWithoutASigningKeyOrWithABadFileIsAClearConfigError(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> KeyRing.load(dir)).isInstanceOf(ConfigException.class).hasMessageContaining("no signing key");
    Files.writeString(dir.resolve("bad.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> KeyRing.load(dir)).isInstanceOf(ConfigException.class).hasMessageContaining("bad.pem");
    assertThatThrownBy(() -> KeyRing.load(dir.resolve("missing"))).isInstanceOf(ConfigException.class);
  }
}
