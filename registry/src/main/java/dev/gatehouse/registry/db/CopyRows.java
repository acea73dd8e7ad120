package dev.gatehouse.registry.db;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.postgresql.PGConnection;

/**
 * Rows for PostgreSQL's {@code COPY ... FROM STDIN} in its text format, built column by column and
 * sent in one exchange: for a batch of log rows PostgreSQL and its driver do far less per row than
 * for a batch of inserts (one bind per argument per row). Values are escaped as the format wants
 * (a backslash, tab, line feed or carriage return); null is {@code \N}. A NUL in text is sent as
 * it is, and refused by the database, as an insert of it would be.
 */
public final class CopyRows {
  private final StringBuilder text;
  private boolean rowStarted;

  public CopyRows(int expectedRows) {
    text = new StringBuilder(Math.max(1, expectedRows) * 256);
  }

  /** Whether {@code connection} is PostgreSQL's (through a pool's wrapper): COPY can be used. */
  public static boolean supported(Connection connection) throws SQLException {
    return connection.isWrapperFor(PGConnection.class);
  }

  public CopyRows text(String value) {
    separate();
    if (value == null) {
      text.append("\\N");
    } else {
      escape(value);
    }
    return this;
  }

  public CopyRows number(long value) {
    separate();
    text.append(value);
    return this;
  }

  public CopyRows number(Number value) {
    return value == null ? text(null) : text(value instanceof java.math.BigDecimal d ? d.toPlainString() : value.toString());
  }

  public CopyRows bool(boolean value) {
    separate();
    text.append(value ? 't' : 'f');
    return this;
  }

  /** A {@code timestamptz}, to the microsecond PostgreSQL keeps; null is {@code \N}. */
  public CopyRows time(Instant value) {
    return value == null ? text(null) : text(value.truncatedTo(ChronoUnit.MICROS).toString());
  }

  /** Ends the current row. */
  public CopyRows endRow() {
    text.append('\n');
    rowStarted = false;
    return this;
  }

  /** Sends the rows with {@code copySql} ({@code COPY table (columns) FROM STDIN}). */
  public void copyIn(Connection connection, String copySql) throws SQLException {
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    try {
      connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql, new ByteArrayInputStream(bytes));
    } catch (IOException e) {
      throw new SQLException("the rows could not be sent", e);
    }
  }

  private void separate() {
    if (rowStarted) {
      text.append('\t');
    }
    rowStarted = true;
  }

  private void escape(String value) {
    int plain = 0;
    while (plain < value.length() && !special(value.charAt(plain))) {
      plain++;
    }
    if (plain == value.length()) {
      text.append(value); // the usual value: all of it, at once
      return;
    }
    text.append(value, 0, plain);
    for (int i = plain; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> text.append("\\\\");
        case '\t' -> text.append("\\t");
        case '\n' -> text.append("\\n");
        case '\r' -> text.append("\\r");
        default -> text.append(c);
      }
    }
  }

  private static boolean special(char c) {
    return c == '\\' || c == '\t' || c == '\n' || c == '\r';
  }
}
