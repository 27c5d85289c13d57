package dev.shopmesh.platform.db;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Reading column types that JDBC has no direct getter for. */
public final class Rows {
  private Rows() {}

  /** A {@code timestamptz} column as an Instant (pgjdbc reads it as an OffsetDateTime). */
  public static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
