#!/usr/bin/env node
// A trivial loopback HTTP tool server for the Gatehouse benchmark. Plain Node, no dependencies.
//
//   GET /a/:x      -> {"v": 2*x}
//   GET /b?v=N     -> {"v": N+1}
//   GET /c?v=N     -> {"v": 3*N, "done": true}
//   GET /healthz   -> {"ok": true}
//   POST /v1/chat/completions -> a FAKE model (no delay) for the agent loop: asked "x=N" with the
//                    tools bench_a, bench_b, bench_c, it calls a(x), then b with a's v, then c with
//                    b's v (one tool call per answer), then answers with c's v as text.
//
// Listens on 127.0.0.1 only (port from argv[2], env UPSTREAM_PORT, or 9100). Keep-alive with a
// long idle timeout, so the gateway's pooled connections are not closed under it between runs.
'use strict';
const http = require('http');

const port = Number(process.argv[2] || process.env.UPSTREAM_PORT || 9100);
let served = 0;

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  served++;
  const url = new URL(req.url, 'http://127.0.0.1');
  const p = url.pathname;
  const num = (s) => (s === null || s === '' || isNaN(Number(s)) ? NaN : Number(s));
  if (req.method === 'POST' && p === '/v1/chat/completions') return model(req, res);
  if (req.method !== 'GET') return reply(res, 405, { error: 'GET only' });
  if (p.startsWith('/a/')) {
    const x = num(decodeURIComponent(p.slice(3)));
    if (isNaN(x)) return reply(res, 400, { error: 'x must be a number' });
    return reply(res, 200, { v: 2 * x });
  }
  if (p === '/b') {
    const v = num(url.searchParams.get('v'));
    if (isNaN(v)) return reply(res, 400, { error: 'v must be a number' });
    return reply(res, 200, { v: v + 1 });
  }
  if (p === '/c') {
    const v = num(url.searchParams.get('v'));
    if (isNaN(v)) return reply(res, 400, { error: 'v must be a number' });
    return reply(res, 200, { v: 3 * v, done: true });
  }
  if (p === '/healthz') return reply(res, 200, { ok: true, served });
  return reply(res, 404, { error: 'not found' });
});

// The fake model: the step is the number of tool results in the transcript so far.
function model(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      return reply(res, 400, { error: { message: 'not JSON', type: 'invalid_request_error' } });
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const tools = messages.filter((m) => m.role === 'tool');
    const user = messages.find((m) => m.role === 'user');
    const x = Number(/x=(-?[0-9]+)/.exec(String(user && user.content))?.[1]);
    const last = tools.length ? JSON.parse(tools[tools.length - 1].content).v : undefined;
    const steps = [
      ['bench_a', { x }],
      ['bench_b', { v: last }],
      ['bench_c', { v: last }],
    ];
    const message = { role: 'assistant', content: null };
    let finish = 'tool_calls';
    if (tools.length < steps.length) {
      const [name, args] = steps[tools.length];
      message.tool_calls = [{ id: `call_${tools.length + 1}`, type: 'function', function: { name, arguments: JSON.stringify(args) } }];
    } else {
      message.content = String(last);
      finish = 'stop';
    }
    reply(res, 200, {
      id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: body.model || 'bench',
      choices: [{ index: 0, message, finish_reason: finish }],
      usage: { prompt_tokens: 50 + 20 * messages.length, completion_tokens: 12, total_tokens: 62 + 20 * messages.length },
    });
  });
}

// Idle keep-alive connections stay open far longer than any pause in the benchmark.
server.keepAliveTimeout = 300_000;
server.headersTimeout = 301_000;
server.requestTimeout = 30_000;

server.listen(port, '127.0.0.1', () => {
  console.log(`upstream listening on http://127.0.0.1:${port}`);
});

function stop() {
  console.log(`upstream stopping after ${served} requests`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
