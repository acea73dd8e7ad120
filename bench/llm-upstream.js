#!/usr/bin/env node
// A fast fake OpenAI-compatible model provider for bench/llm-bench (a fake: it answers fixed text,
// no model runs). Plain Node, no dependencies.
//
//   POST /v1/chat/completions  non-stream: one chat.completion (fixed text, usage);
//                              "stream": true: a short SSE stream (role, 4 content chunks, finish,
//                              a usage chunk only when stream_options.include_usage is true, as
//                              OpenAI does, then [DONE])
//   GET  /v1/models            the one model
//   GET  /healthz              {"ok": true, "served": N, "refused": N}
//
// Requests must carry "Authorization: Bearer <key>" (argv[3] or env LLM_UPSTREAM_KEY; default
// sk-bench-upstream; "none" checks nothing): a wrong one is a 401, so a benchmark run shows that
// the gateway sent the provider's key and not the agent's. Listens on 127.0.0.1 only (port argv[2], env
// UPSTREAM_PORT, or 9300), keep-alive with a long idle timeout.
'use strict';
const http = require('http');

const port = Number(process.argv[2] || process.env.UPSTREAM_PORT || 9300);
const key = process.argv[3] || process.env.LLM_UPSTREAM_KEY || 'sk-bench-upstream';
const expectedAuth = `Bearer ${key}`;
const TEXT = ['Hello', ' from', ' the bench', ' upstream.'];
let served = 0;
let refused = 0;
let created = Math.floor(Date.now() / 1000);
setInterval(() => { created = Math.floor(Date.now() / 1000); }, 1000).unref();
let ids = 0;

function json(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function error(res, status, message, type) {
  refused++;
  json(res, status, { error: { message, type, param: null, code: null } });
}

function completion(model) {
  return {
    id: `chatcmpl-bench-${++ids}`,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: TEXT.join('') }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  };
}

function stream(res, model, includeUsage) {
  const id = `chatcmpl-bench-${++ids}`;
  const chunk = (delta, finish) => {
    const c = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    if (includeUsage) c.usage = null;
    return `data: ${JSON.stringify(c)}\n\n`;
  };
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  // Each event is its own write, as a provider sends them (the gateway must relay, not gather).
  res.write(chunk({ role: 'assistant', content: '' }, null));
  for (const t of TEXT) res.write(chunk({ content: t }, null));
  res.write(chunk({}, 'stop'));
  if (includeUsage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return json(res, 200, { ok: true, served, refused });
  if (key !== 'none' && req.headers.authorization !== expectedAuth) return error(res, 401, 'wrong or missing provider key', 'invalid_request_error');
  if (req.method === 'GET' && path === '/v1/models') {
    served++;
    return json(res, 200, { object: 'list', data: [{ id: 'bench-upstream-model', object: 'model', created: 0, owned_by: 'bench' }] });
  }
  if (req.method !== 'POST' || path !== '/v1/chat/completions') return error(res, 404, 'not found', 'invalid_request_error');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      return error(res, 400, 'the body is not JSON', 'invalid_request_error');
    }
    if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return error(res, 400, 'model and messages are required', 'invalid_request_error');
    }
    served++;
    if (body.stream === true) {
      return stream(res, body.model, !!(body.stream_options && body.stream_options.include_usage === true));
    }
    return json(res, 200, completion(body.model));
  });
});

server.keepAliveTimeout = 300_000;
server.headersTimeout = 301_000;
server.requestTimeout = 30_000;

server.listen(port, '127.0.0.1', () => {
  console.log(`llm upstream listening on http://127.0.0.1:${port}/v1`);
});

function stop() {
  console.log(`llm upstream stopping after ${served} answers (${refused} refused)`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
