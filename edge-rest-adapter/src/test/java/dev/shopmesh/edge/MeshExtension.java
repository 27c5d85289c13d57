package dev.shopmesh.edge;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives test classes the one {@link LocalMesh} of this JVM, started on first use and closed by
 * JUnit when the whole run ends.
 */
final class MeshExtension implements BeforeAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MeshExtension.class);
  private ExtensionContext root;

  @Override
  public void beforeAll(ExtensionContext context) {
    root = context.getRoot();
  }

  LocalMesh mesh() {
    return root.getStore(NAMESPACE).computeIfAbsent(LocalMesh.class, k -> LocalMesh.start(), LocalMesh.class);
  }
}
