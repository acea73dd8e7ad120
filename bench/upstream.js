#!/usr/bin/env node
// A trivial loopback HTTP tool server for the Gatehouse benchmark. Plain Node, no dependencies.
//
//   GET /a/:x      -> {"v": 2*x}
//   GET /b?v=N     -> {"v": N+1}
//   GET /c?v=N     -> {"v": 3*N, "done": true}
//   GET /healthz   -> {"ok": true}
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
