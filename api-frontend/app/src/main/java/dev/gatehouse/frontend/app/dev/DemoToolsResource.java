package dev.gatehouse.frontend.app.dev;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The upstream behind dev mode's demo tools, served by Gatehouse itself under {@code /demo} so a
 * newcomer's first pipeline works with nothing else running. Deterministic answers.
 */
@Path("/demo")
@Produces(MediaType.APPLICATION_JSON)
public class DemoToolsResource {
  private static final String[] CONDITIONS = {"sunny", "cloudy", "rain", "snow", "windy", "fog"};

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
  public Map<String, Object> convert(@QueryParam("celsius") double celsius) {
    return Map.of("celsius", celsius, "fahrenheit", Math.round((celsius * 9 / 5 + 32) * 10) / 10.0);
  }

  @POST
  @Path("/notes")
  @Consumes(MediaType.WILDCARD)
  public Map<String, Object> note(@HeaderParam("Idempotency-Key") String key, JsonNode body) {
    String text = body == null ? "" : body.path("text").asText("");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("saved", true);
    out.put("chars", text.getBytes(StandardCharsets.UTF_8).length);
    out.put("text", text);
    out.put("idempotencyKey", key);
    return out;
  }
}
