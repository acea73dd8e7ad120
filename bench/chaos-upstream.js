#!/usr/bin/env node
// The side-effecting upstream for bench/chaos. Plain Node, no dependencies; loopback only.
//
//   POST /effect/:name   Idempotency-Key required. Applies the side effect the first time a key
//                        arrives (later requests with that key are deduplicated: not applied
//                        again), holds the request for HOLD_MS (argv[3], default 1500) so a worker
//                        can be killed meanwhile, then answers {"name", "key", "applied": n}
//                        unless the caller has gone.
//   GET  /stats/:name    {"requests", "keys": {key: {requests, applied, answered}}} for that name
//   GET  /stats          the same for every name, plus totals
//   GET  /healthz        {"ok": true}
'use strict';
const http = require('http');

const port = Number(process.argv[2] || 19300);
const holdMs = Number(process.argv[3] || 1500);
const names = new Map(); // name -> {requests, keys: Map(key -> {requests, applied, answered})}

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function statsOf(entry) {
  const keys = {};
  for (const [k, v] of entry.keys) keys[k] = { ...v };
  return { requests: entry.requests, keys };
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://127.0.0.1').pathname;
  if (req.method === 'GET' && path === '/healthz') return reply(res, 200, { ok: true });
  if (req.method === 'GET' && path.startsWith('/stats/')) {
    const entry = names.get(decodeURIComponent(path.slice(7)));
    return reply(res, 200, entry ? statsOf(entry) : { requests: 0, keys: {} });
  }
  if (req.method === 'GET' && path === '/stats') {
    const all = {};
    for (const [n, e] of names) all[n] = statsOf(e);
    return reply(res, 200, all);
  }
  if (req.method === 'POST' && path.startsWith('/effect/')) {
    const name = decodeURIComponent(path.slice(8));
    const key = req.headers['idempotency-key'];
    if (!key) return reply(res, 400, { error: 'Idempotency-Key is required' });
    req.resume(); // the body is not needed
    const entry = names.get(name) || { requests: 0, keys: new Map() };
    names.set(name, entry);
    entry.requests++;
    const k = entry.keys.get(key) || { requests: 0, applied: 0, answered: 0 };
    entry.keys.set(key, k);
    k.requests++;
    if (k.applied === 0) k.applied = 1; // the side effect, once per key
    let gone = false;
    res.on('close', () => { gone = !res.writableFinished; });
    setTimeout(() => {
      if (gone || res.destroyed) return;
      k.answered++;
      reply(res, 200, { name, key, applied: k.applied });
    }, holdMs);
    return;
  }
  return reply(res, 404, { error: 'not found' });
});
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => console.log(`chaos upstream on http://127.0.0.1:${port}, holding ${holdMs} ms`));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => server.close(() => process.exit(0)));
