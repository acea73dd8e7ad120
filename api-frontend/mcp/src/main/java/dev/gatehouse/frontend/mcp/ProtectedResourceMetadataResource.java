package dev.gatehouse.frontend.mcp;

import dev.gatehouse.frontend.core.http.PublicUrl;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoints, as the MCP authorization
 * spec asks: which authorization servers issue tokens Gatehouse accepts (the issuers of the
 * registered identity providers) and how to send them. Public, like any discovery document. The
 * {@code resource} is built from the configured public URL ({@link PublicUrl}), never from the
 * request's {@code Host}.
 */
@Path("/.well-known/oauth-protected-resource")
@Produces(MediaType.APPLICATION_JSON)
public class ProtectedResourceMetadataResource {
  private final IdentityProviderDao providers;
  private final PublicUrl publicUrl;

  public ProtectedResourceMetadataResource(Jdbi jdbi, PublicUrl publicUrl) {
    this.providers = jdbi.onDemand(IdentityProviderDao.class);
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
    return metadata(publicUrl.base(request) + "/mcp/" + name);
  }

  private Map<String, Object> metadata(String resource) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("resource", resource);
    m.put("authorization_servers", providers.issuers());
    m.put("bearer_methods_supported", List.of("header"));
    m.put("resource_name", "Gatehouse MCP gateway");
    return m;
  }

}
