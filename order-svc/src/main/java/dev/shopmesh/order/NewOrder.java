package dev.shopmesh.order;

import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.Money;
import dev.shopmesh.platform.error.FieldViolations;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.UUID;

/** An order as a client places it, once it has passed validation. */
record NewOrder(UUID userId, List<LineItem> items, String currencyCode, long totalMinor) {
  static final int MAX_ITEMS = 100;
  static final int MAX_SKU = 64;

  /** Checks every rule, recording one violation per bad field; null when any failed. */
  static NewOrder validate(Order order, FieldViolations violations) {
    var userId = Ids.parse(order.getUserId(), violations, "order.user_id", "a user id");
    violations.check(
        Money.isCurrency(order.getCurrencyCode()),
        "order.currency_code",
        "must be an ISO-4217 currency code such as EUR");
    violations.check(order.getItemsCount() > 0, "order.items", "must hold at least one item");
    if (order.getItemsCount() > MAX_ITEMS) {
      // Checked before any item: a client decides how many there are, and each bad one would
      // cost a violation (300,000 empty items took order-svc's heap).
      violations.add(
          "order.items",
          "must hold at most " + MAX_ITEMS + " items, got " + order.getItemsCount());
      return null;
    }
    long total = 0;
    boolean overflow = false;
    for (int i = 0; i < order.getItemsCount(); i++) {
      LineItem item = order.getItems(i);
      String at = "order.items[" + i + "].";
      String sku = item.getSku();
      if (violations.check(!sku.isBlank(), at + "sku", "is required")) {
        violations.check(
            sku.length() <= MAX_SKU && sku.codePoints().noneMatch(Character::isISOControl),
            at + "sku",
            "must be at most " + MAX_SKU + " printable characters");
      }
      violations.check(item.getQuantity() >= 1, at + "quantity", "must be at least 1");
      violations.check(item.getUnitPriceMinor() >= 0, at + "unit_price_minor", "must not be negative");
      if (item.getQuantity() >= 1 && item.getUnitPriceMinor() >= 0 && !overflow) {
        try {
          total = Math.addExact(total, Math.multiplyExact(item.getUnitPriceMinor(), item.getQuantity()));
        } catch (ArithmeticException e) {
          overflow = true;
        }
      }
    }
    if (overflow) {
      violations.add("order.items", "the order total does not fit in a 64-bit amount");
    } else if (order.getItemsCount() > 0 && total == 0) {
      violations.add("order.items", "the order total must be more than 0");
    }
    if (!violations.isEmpty()) {
      return null;
    }
    return new NewOrder(userId.orElseThrow(), order.getItemsList(), order.getCurrencyCode(), total);
  }

  /**
   * SHA-256 of what was asked for (user, items, currency), so that a replayed request_id can
   * be told apart from a reused one.
   */
  byte[] fingerprint() {
    Order asked =
        Order.newBuilder()
            .setUserId(userId.toString())
            .addAllItems(items)
            .setCurrencyCode(currencyCode)
            .build();
    try {
      return MessageDigest.getInstance("SHA-256").digest(asked.toByteArray());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
