package dev.gatehouse.frontend.app.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The upstream behind dev mode's demo tools, served by Gatehouse itself under {@code /demo} so a
 * newcomer's first pipeline works with nothing else running. Deterministic answers; bad input
 * gets a 4xx JSON error like every other endpoint (the body is read here, not by Jersey, so a
 * body that is not JSON is 400 {@code invalid_json}).
 */
@Path("/demo")
@Produces(MediaType.APPLICATION_JSON)
public class DemoToolsResource {
  private static final String[] CONDITIONS = {"sunny", "cloudy", "rain", "snow", "windy", "fog"};
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The demo notes are short; a larger body is refused before it is read whole. */
  private static final int MAX_NOTE_BYTES = 64 * 1024;

  @GET
  @Path("/weather/{city}")
  public Map<String, Object> weather(@PathParam("city") String city) {
    int h = Math.abs(city.toLowerCase().hashCode());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("city", city);
    out.put("tempC", (h % 45) - 10);
    out.put("conditions", CONDITIONS[h % CONDITIONS.length]);
    return out;
  }

  @GET
  @Path("/convert")
  public Map<String, Object> convert(@QueryParam("celsius") String celsius) {
    double c;
    try {
      c = Double.parseDouble(celsius == null ? "" : celsius.trim());
    } catch (NumberFormatException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'celsius' must be a number");
    }
    if (!Double.isFinite(c)) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'celsius' must be a finite number");
    }
    return Map.of("celsius", c, "fahrenheit", Math.round((c * 9 / 5 + 32) * 10) / 10.0);
  }

  @POST
  @Path("/notes")
  @Consumes(MediaType.WILDCARD)
  public Map<String, Object> note(@HeaderParam("Idempotency-Key") String key, InputStream body) {
    JsonNode json = read(body, MAX_NOTE_BYTES, "a demo note");
    if (json != null && !json.isObject()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body must be a JSON object such as {\"text\":\"...\"}");
    }
    JsonNode textNode = json == null ? null : json.get("text");
    if (textNode != null && !textNode.isNull() && !textNode.isTextual()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'text' must be a string");
    }
    String text = textNode == null || textNode.isNull() ? "" : textNode.asText();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("saved", true);
    out.put("chars", text.getBytes(StandardCharsets.UTF_8).length);
    out.put("text", text);
    out.put("idempotencyKey", key);
    return out;
  }

  /** The demo helpdesk's tickets: subject and body, picked by the ticket id. */
  private static final String[][] TICKETS = {
    {"Charged twice for March", "My card was charged twice for the March invoice. Please refund one of the charges."},
    {"Export to CSV fails", "Exporting the monthly report to CSV fails with an error 500 since yesterday's update."},
    {"Cannot reset my password", "The password reset e-mail never arrives, and I am locked out of my account."},
    {"Dark mode, please", "Would you consider a dark theme for the dashboard? My eyes would thank you."},
  };

  private static final Pattern TICKET_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  @GET
  @Path("/helpdesk/tickets/{id}")
  public Map<String, Object> ticket(@PathParam("id") String id) {
    if (!TICKET_ID.matcher(id).matches()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "a ticket id is 1 to 64 letters, digits, '-' or '_'");
    }
    String[] t = TICKETS[Math.floorMod(id.hashCode(), TICKETS.length)];
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("subject", t[0]);
    out.put("body", t[1]);
    out.put("customer", "cus_" + (Math.floorMod(id.hashCode(), 9000) + 1000));
    return out;
  }

  @GET
  @Path("/kb/search")
  public Map<String, Object> searchKnowledgeBase(@QueryParam("query") String query) {
    String q = query == null ? "" : query.toLowerCase(java.util.Locale.ROOT);
    if (q.length() > 1000) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "'query' is at most 1000 characters");
    }
    List<Map<String, Object>> articles = new java.util.ArrayList<>();
    String[][] kb = {
      {"kb-101", "Refunds for duplicate charges", "charged"},
      {"kb-102", "How invoices are billed", "invoice"},
      {"kb-201", "Known issue: CSV export after the 4.2 update", "csv"},
      {"kb-301", "Password reset e-mails and spam filters", "password"},
      {"kb-401", "Dashboard themes and accessibility", "dark"},
    };
    for (String[] a : kb) {
      if (q.contains(a[2])) {
        articles.add(Map.of("id", a[0], "title", a[1]));
      }
    }
    return Map.of("query", query == null ? "" : query, "articles", articles);
  }

  @POST
  @Path("/helpdesk/tickets")
  @Consumes(MediaType.WILDCARD)
  public Map<String, Object> fileTicket(@HeaderParam("Idempotency-Key") String key, InputStream body) {
    JsonNode json = read(body, MAX_NOTE_BYTES, "a ticket");
    if (json == null || !json.isObject() || !json.path("queue").isTextual() || !json.path("title").isTextual()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "a ticket is a JSON object with 'queue' and 'title'");
    }
    // The same Idempotency-Key (a retried call) files the same ticket.
    String seed = key != null ? key : json.toString();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", "T-" + (Math.floorMod(seed.hashCode(), 90000) + 10000));
    out.put("queue", json.get("queue").textValue());
    out.put("status", "open");
    return out;
  }

  /** The body as JSON, null when empty; 413 past {@code max} bytes ({@code what} names it), 400 when not JSON. */
  static JsonNode read(InputStream body, int max, String what) {
    byte[] bytes;
    try {
      bytes = body == null ? new byte[0] : body.readNBytes(max + 1);
    } catch (IOException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body could not be read");
    }
    if (bytes.length > max) {
      throw new ApiException(ErrorCode.REQUEST_TOO_LARGE, what + " is at most " + max + " bytes");
    }
    if (bytes.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new ApiException(ErrorCode.INVALID_JSON, "the body is not valid JSON");
    }
  }
}
