package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Registry files the yaml tests share, and the ways they read them. */
final class RegistryFixtures {
  /** Two global HTTP tools, one with every field. */
  static final String TOOLS =
      """
      tools:
        - name: weather.lookup
          description: Current weather for a city
          http:
            method: get
            url: http://127.0.0.1:9000/weather/{city}
            headers: {Accept: application/json}
          inputSchema: {type: object, properties: {city: {type: string}}, required: [city]}
          timeout: 5s
          retry: {maxAttempts: 3, initialInterval: 200ms, backoff: 2.0}
        - name: notes.save
          http: {method: POST, url: "https://notes.example/api/notes"}
      """;

  /** {@link #TOOLS} and a tenant with an agent, an identity provider and two tools of its own. */
  static final String TENANTS =
      TOOLS
          + """
          tenants:
            - name: acme
              agents:
                - name: planner
                  subject: svc-planner
                  tools: {allow: ["weather.*", "acme.*"], deny: ["weather.admin"]}
                  workflows: {allow: [pipeline]}
                  approvals: {tools: ["acme.crm"], destructive: true}
              identityProviders:
                - name: corp
                  issuer: https://login.acme.example
                  audience: gatehouse
                  jwksUrl: https://login.acme.example/jwks
                  algorithms: [RS256, ES256]
              tools:
                - name: acme.crm
                  http: {url: "https://crm.acme.example/customers/{id}", headers: {Authorization: "Bearer {{secret:crm-token}}"}}
                  auth: {type: none}
                - name: acme.billing
                  approval: required
                  cost: 0.02
                  http: {method: POST, url: "https://billing.acme.example/charge"}
                  auth: {type: oauth2-client-credentials, tokenUrl: "https://login.acme.example/token", clientId: gatehouse, clientSecret: "{{secret:billing-client}}", scopes: [charge]}
          """;

  /** Global MCP servers of each transport, a virtual server, and a tenant with one of each. */
  static final String MCP =
      """
      mcpServers:
        - name: everything
          transport: streamable-http
          url: http://127.0.0.1:3001/mcp
          prefix: everything
          headers: {X-Api-Key: "{{secret:EVERYTHING_KEY}}", X-Team: platform}
          auth: {type: oauth2-client-credentials, tokenUrl: "https://login.example/token", clientId: gatehouse, clientSecret: "{{secret:X}}", scopes: [mcp]}
          timeout: 30s
          connectTimeout: 5s
          retry: {maxAttempts: 3, initialInterval: 200ms, backoff: 2.0, maxInterval: 10s}
          execution: auto
          toolExecution: {write_file: durable, echo: direct}
        - name: files
          transport: stdio
          command: npx
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv"]
          env: {TOKEN: "{{secret:FILES_TOKEN}}", MODE: ro}
          workingDir: /srv
          prefix: ""
        - name: legacy
          transport: sse
          url: https://legacy.example/sse
      virtualServers:
        - name: readers
          description: Read-only tools
          tools: ["everything.echo", "weather.*"]
      tenants:
        - name: acme
          mcpServers:
            - name: acme-crm
              transport: streamable-http
              url: https://crm.acme.example/mcp
              execution: durable
          virtualServers:
            - name: acme-desk
              tools: ["acme-crm.*"]
      """;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private RegistryFixtures() {}

  /** A registry file read and checked, as the CLI, the admin API and start-up do. */
  static Registry registry(String yaml) {
    return RegistryChecker.check(RegistryParser.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))));
  }

  /** One entry as the file (or an admin API body) would hold it. */
  static <T> T entry(Class<T> type, String yaml) {
    try {
      return YAML.readValue(yaml, type);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
