// MCP TypeScript SDK client for Gatehouse interop tests:
//   node ts-client.mjs <url> <bearer key> <tool name> <arguments as JSON>
// Lists the tools, calls one, prints one JSON line: {"tools":[names]|null, "listError":..., "call": CallToolResult}.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, key, tool, args] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: 'Bearer ' + key } },
});
const client = new Client({ name: 'gatehouse-interop-ts', version: '1.0.0' });
try {
  await client.connect(transport);
  // tools/list and tools/call are reported separately, so one failing does not hide the other.
  let tools = null;
  let listError = null;
  try {
    tools = (await client.listTools()).tools.map((t) => t.name);
  } catch (e) {
    listError = String(e && e.message ? e.message : e);
  }
  const call = await client.callTool({ name: tool, arguments: JSON.parse(args || '{}') });
  console.log(JSON.stringify({ tools, listError, call }));
  await client.close();
} catch (e) {
  console.log(JSON.stringify({ error: String(e && e.stack ? e.stack : e) }));
  process.exitCode = 1;
}
