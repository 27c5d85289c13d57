package dev.shopmesh.platform;

import java.util.Currency;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Money is an int64 count of minor units plus an ISO-4217 currency code. */
public final class Money {
  private static final Pattern CODE = Pattern.compile("[A-Z]{3}");
  private static final Set<String> KNOWN =
      Currency.getAvailableCurrencies().stream()
          .map(Currency::getCurrencyCode)
          .collect(Collectors.toUnmodifiableSet());

  private Money() {}

  /** Whether {@code code} is a known ISO-4217 code, written in capitals ("EUR", not "eur"). */
  public static boolean isCurrency(String code) {
    return CODE.matcher(code).matches() && KNOWN.contains(code);
  }
}
