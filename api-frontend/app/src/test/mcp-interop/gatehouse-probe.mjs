// The client command the conformance suite's client scenarios run:
//   conformance client --command "node gatehouse-probe.mjs [mcp-probe options]" --scenario S
// The suite appends the server URL. This starts `gatehouse mcp-probe` with the JVM and class
// path given in GATEHOUSE_PROBE_JAVA and GATEHOUSE_PROBE_CP (McpClientConformanceTest sets them).
//
// Client-credentials scenarios pass client_id and client_secret in MCP_CONFORMANCE_CONTEXT but
// no token endpoint: the suite expects a client to discover it (RFC 9728 protected resource
// metadata, then RFC 8414 authorization server metadata). Gatehouse does not discover: an
// operator configures tokenUrl. So this wrapper plays the operator: it looks the token
// endpoint up here and gives it to the probe as --token-url; the secret goes through an
// environment variable (--client-secret-env), not the command line.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const url = args[args.length - 1];
const env = { ...process.env };

async function json(u) {
  const r = await fetch(u, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(`GET ${u}: HTTP ${r.status}`);
  return r.json();
}

async function tokenEndpoint(serverUrl) {
  const u = new URL(serverUrl);
  const path = u.pathname === '/' ? '' : u.pathname;
  let prm;
  for (const candidate of [`${u.origin}/.well-known/oauth-protected-resource${path}`, `${u.origin}/.well-known/oauth-protected-resource`]) {
    try {
      prm = await json(candidate);
      break;
    } catch (e) {
      // try the next location
    }
  }
  if (!prm?.authorization_servers?.length) throw new Error(`no protected resource metadata for ${serverUrl}`);
  const as = new URL(prm.authorization_servers[0]);
  const asPath = as.pathname === '/' ? '' : as.pathname;
  for (const candidate of [
    `${as.origin}/.well-known/oauth-authorization-server${asPath}`,
    `${as.origin}/.well-known/openid-configuration${asPath}`,
  ]) {
    try {
      const meta = await json(candidate);
      if (meta.token_endpoint) return meta.token_endpoint;
    } catch (e) {
      // try the next location
    }
  }
  throw new Error(`no token endpoint in the metadata of ${as}`);
}

let extra = [];
if (process.env.MCP_CONFORMANCE_CONTEXT) {
  const ctx = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT);
  if (ctx.client_id && ctx.client_secret) {
    try {
      const tokenUrl = await tokenEndpoint(url);
      env.GATEHOUSE_PROBE_CLIENT_SECRET = ctx.client_secret;
      extra = ['--token-url', tokenUrl, '--client-id', ctx.client_id, '--client-secret-env', 'GATEHOUSE_PROBE_CLIENT_SECRET'];
    } catch (e) {
      console.error(`gatehouse-probe.mjs: ${e.message}`);
      process.exit(2);
    }
  } else if (ctx.private_key_pem) {
    console.error('gatehouse-probe.mjs: private_key_jwt client authentication is not supported by Gatehouse');
    process.exit(2);
  }
}

const java = process.env.GATEHOUSE_PROBE_JAVA || 'java';
const cp = process.env.GATEHOUSE_PROBE_CP;
if (!cp) {
  console.error('gatehouse-probe.mjs: GATEHOUSE_PROBE_CP is not set');
  process.exit(2);
}
const child = spawn(
  java,
  ['-cp', cp, 'dev.gatehouse.frontend.app.GatehouseApplication', 'mcp-probe', ...extra, ...args],
  { stdio: 'inherit', env },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => child.kill(s));
