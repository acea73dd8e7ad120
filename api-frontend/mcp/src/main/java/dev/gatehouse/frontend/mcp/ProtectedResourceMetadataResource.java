package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.PublicUrl;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.yaml.McpServerEntries;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoints, as the MCP authorization
 * spec asks: which authorization servers issue tokens Gatehouse accepts (the issuers of the
 * registered identity providers) and how to send them. Public, like any discovery document. The
 * {@code resource} is built from the configured public URL ({@link PublicUrl}), never from the
 * request's {@code Host}.
 *
 * <p>Anyone may ask for it, so it does not read the database on every request: the issuers are
 * read at most once every {@link #ISSUERS_TTL} (an identity provider an admin adds is listed within
 * that), and a virtual server's path that could not be a virtual server's name is 404.
 */
@Path("/.well-known/oauth-protected-resource")
@Produces(MediaType.APPLICATION_JSON)
public class ProtectedResourceMetadataResource {
  /** How long the issuers read from the database are listed before they are read again. */
  static final Duration ISSUERS_TTL = Duration.ofSeconds(5);

  private final Supplier<List<String>> issuers;
  private final LongSupplier nanoClock;
  private final PublicUrl publicUrl;
  private volatile Issuers cached;

  private record Issuers(List<String> issuers, long readAtNanos) {}

  public ProtectedResourceMetadataResource(Jdbi jdbi, PublicUrl publicUrl) {
    this(jdbi.onDemand(IdentityProviderDao.class)::issuers, System::nanoTime, publicUrl);
  }

  /** {@code issuers} reads the registered providers' issuers; {@code nanoClock} tells the time (tests). */
  ProtectedResourceMetadataResource(Supplier<List<String>> issuers, LongSupplier nanoClock, PublicUrl publicUrl) {
    this.issuers = issuers;
    this.nanoClock = nanoClock;
    this.publicUrl = publicUrl;
  }

  @GET
  public Map<String, Object> root(@Context HttpServletRequest request) {
    return metadata(publicUrl.base(request) + "/mcp");
  }

  @GET
  @Path("/mcp")
  public Map<String, Object> mcp(@Context HttpServletRequest request) {
    return metadata(publicUrl.base(request) + "/mcp");
  }

  @GET
  @Path("/mcp/{virtualServer}")
  public Map<String, Object> virtual(@PathParam("virtualServer") String name, @Context HttpServletRequest request) {
    if (!McpServerEntries.NAME.matcher(name).matches()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "no virtual server by that name");
    }
    return metadata(publicUrl.base(request) + "/mcp/" + name);
  }

  private Map<String, Object> metadata(String resource) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("resource", resource);
    m.put("authorization_servers", issuers());
    m.put("bearer_methods_supported", List.of("header"));
    m.put("resource_name", "Gatehouse MCP gateway");
    return m;
  }

  /** The issuers, read again once the last read is {@link #ISSUERS_TTL} old (two requests may both read then). */
  List<String> issuers() {
    long now = nanoClock.getAsLong();
    Issuers last = cached;
    if (last == null || now - last.readAtNanos() >= ISSUERS_TTL.toNanos()) {
      last = new Issuers(List.copyOf(issuers.get()), now);
      cached = last;
    }
    return last.issuers();
  }

}
