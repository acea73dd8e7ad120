package dev.gatehouse.frontend.mcp;

import dev.gatehouse.registry.idp.IdentityProviderDao;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoints, as the MCP authorization
 * spec asks: which authorization servers issue tokens Gatehouse accepts (the issuers of the
 * registered identity providers) and how to send them. Public, like any discovery document.
 */
@Path("/.well-known/oauth-protected-resource")
@Produces(MediaType.APPLICATION_JSON)
public class ProtectedResourceMetadataResource {
  private final IdentityProviderDao providers;
  private final String publicUrl;

  public ProtectedResourceMetadataResource(Jdbi jdbi, String publicUrl) {
    this.providers = jdbi.onDemand(IdentityProviderDao.class);
    this.publicUrl = publicUrl;
  }

  @GET
  public Map<String, Object> root(@Context UriInfo uri, @Context HttpHeaders headers) {
    return metadata(base(uri, headers) + "/mcp");
  }

  @GET
  @Path("/mcp")
  public Map<String, Object> mcp(@Context UriInfo uri, @Context HttpHeaders headers) {
    return metadata(base(uri, headers) + "/mcp");
  }

  @GET
  @Path("/mcp/{virtualServer}")
  public Map<String, Object> virtual(
      @PathParam("virtualServer") String name, @Context UriInfo uri, @Context HttpHeaders headers) {
    return metadata(base(uri, headers) + "/mcp/" + name);
  }

  private Map<String, Object> metadata(String resource) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("resource", resource);
    m.put("authorization_servers", providers.issuers());
    m.put("bearer_methods_supported", List.of("header"));
    m.put("resource_name", "Gatehouse MCP gateway");
    return m;
  }

  private String base(UriInfo uri, HttpHeaders headers) {
    if (publicUrl != null && !publicUrl.isBlank()) {
      return publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }
    String host = headers.getHeaderString("Host");
    return uri.getBaseUri().getScheme() + "://" + (host != null ? host : uri.getBaseUri().getAuthority());
  }
}
