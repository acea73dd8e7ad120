#!/usr/bin/env node
// Gatehouse overload driver. Plain Node (>= 18), no dependencies.
//
// N clients submit 3-step pipelines (bench.a -> bench.b -> bench.c) for DURATION seconds without
// waiting for them: each client POSTs, and on 202 POSTs the next at once; on 429 it waits what
// Retry-After says (unless --honor-retry-after 0) and tries again. That offers far more work than
// dev mode can run, which is the point. After the window it stops submitting, waits up to DRAIN
// seconds for the accepted tasks to end, and reads them back from GET /v1/tasks: the latency of
// accepted work is the server's closedAt - createdAt (submit to completion as the task index
// recorded them; the client's own round trips are not in it).
//
// Usage: node overload.js --url http://127.0.0.1:8080 --key KEY [--clients 16] [--duration 300]
//                         [--drain 300] [--honor-retry-after 1] [--label name]
// Prints a table and one line `RESULT {json}`. Exit 0 even when the gateway misbehaves (reported).
'use strict';
const http = require('http');
const { performance } = require('perf_hooks');

function parseArgs(argv) {
  const out = { url: 'http://127.0.0.1:8080', key: process.env.GATEHOUSE_DEV_KEY, clients: 16, duration: 300, drain: 300,
    'honor-retry-after': 1, label: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || i + 1 >= argv.length) usage(`bad argument ${a}`);
    out[a.slice(2)] = argv[++i];
  }
  for (const k of ['clients', 'duration', 'drain', 'honor-retry-after']) out[k] = Number(out[k]);
  if (!out.key) usage('--key (or GATEHOUSE_DEV_KEY) is required');
  if (!(out.clients >= 1 && out.clients <= 1000)) usage('--clients must be 1..1000');
  if (!(out.duration > 0 && out.duration <= 3600)) usage('--duration must be 1..3600 s');
  if (!(out.drain >= 0 && out.drain <= 3600)) usage('--drain must be 0..3600 s');
  return out;
}

function usage(msg) {
  console.error(`overload.js: ${msg}`);
  console.error('usage: node overload.js --url URL --key KEY [--clients N] [--duration S] [--drain S] [--honor-retry-after 0|1]');
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const base = new URL(opts.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) usage('the benchmark talks to loopback only');
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients + 2 });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${opts.key}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: base.hostname, port: base.port || 80, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function pipelineBody(x) {
  return JSON.stringify({
    workflow: 'pipeline',
    input: { x },
    pipeline: {
      steps: [
        { id: 's1', tool: 'bench.a', args: { x: '${input.x}' } },
        { id: 's2', tool: 'bench.b', args: { v: '${steps.s1.output.v}' }, dependsOn: ['s1'] },
        { id: 's3', tool: 'bench.c', args: { v: '${steps.s2.output.v}' }, dependsOn: ['s2'] },
      ],
    },
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const r1 = (v) => (v === null ? null : Math.round(v * 10) / 10);

async function main() {
  const start = performance.now();
  const end = start + opts.duration * 1000;
  const buckets = []; // per 10 s of the window: {accepted, refused, errors}
  const bucket = () => (buckets[Math.floor((performance.now() - start) / 10_000)] ||= { accepted: 0, refused: 0, errors: 0 });
  const accepted = new Set();
  const refusedBy = {};
  const retryAfters = [];
  const postMs = [];
  const errorSamples = new Map();
  let refused = 0;
  let errors = 0;

  async function client() {
    while (performance.now() < end) {
      const t0 = performance.now();
      let r;
      try {
        r = await request('POST', '/v1/tasks', pipelineBody(Math.floor(Math.random() * 1000)));
      } catch (e) {
        r = { status: 0, body: String(e.message || e) };
      }
      postMs.push(performance.now() - t0);
      if (r.status === 202) {
        accepted.add(JSON.parse(r.body).id);
        bucket().accepted++;
      } else if (r.status === 429) {
        refused++;
        bucket().refused++;
        let limit = '?';
        try {
          limit = JSON.parse(r.body).error.details.limit;
        } catch (e) {
          // not the overloaded shape: counted under '?'
        }
        refusedBy[limit] = (refusedBy[limit] || 0) + 1;
        const ra = Number(r.headers['retry-after']);
        if (Number.isFinite(ra)) retryAfters.push(ra);
        if (opts['honor-retry-after'] && Number.isFinite(ra)) await sleep(Math.min(ra, 60) * 1000);
      } else {
        errors++;
        bucket().errors++;
        const msg = `${r.status} ${r.body.slice(0, 140)}`;
        errorSamples.set(msg, (errorSamples.get(msg) || 0) + 1);
        await sleep(100);
      }
    }
  }
  await Promise.all(Array.from({ length: opts.clients }, client));
  const windowS = (performance.now() - start) / 1000;

  // Drain: wait for the accepted tasks to end.
  const drainStart = performance.now();
  let stillRunning = null;
  for (;;) {
    const page = JSON.parse((await request('GET', '/v1/tasks?status=RUNNING&limit=1')).body);
    stillRunning = page.tasks.length;
    if (stillRunning === 0 || performance.now() - drainStart > opts.drain * 1000) break;
    await sleep(1000);
  }
  const drainS = (performance.now() - drainStart) / 1000;

  // Read the tasks back: createdAt and closedAt of each accepted task.
  const latencies = [];
  const statuses = {};
  const closedAt = [];
  let firstCreated = Infinity;
  let cursor = null;
  let seen = 0;
  do {
    const page = JSON.parse((await request('GET', `/v1/tasks?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body);
    for (const t of page.tasks) {
      if (!accepted.has(t.id)) continue;
      seen++;
      statuses[t.status] = (statuses[t.status] || 0) + 1;
      const created = Date.parse(t.createdAt);
      firstCreated = Math.min(firstCreated, created);
      if (t.status === 'COMPLETED' && t.closedAt) {
        const closed = Date.parse(t.closedAt);
        latencies.push(closed - created);
        closedAt.push(closed);
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  postMs.sort((a, b) => a - b);
  closedAt.sort((a, b) => a - b);
  // Completions per 10 s from the first accepted submit: the rate work actually got done.
  const completedPer10s = [];
  for (const c of closedAt) {
    const b = Math.floor((c - firstCreated) / 10_000);
    completedPer10s[b] = (completedPer10s[b] || 0) + 1;
  }
  const completedInWindow = closedAt.filter((c) => c - firstCreated <= opts.duration * 1000).length;
  const result = {
    label: opts.label || `overload-c${opts.clients}`,
    clients: opts.clients,
    duration_s: Math.round(windowS),
    honor_retry_after: !!opts['honor-retry-after'],
    submits: accepted.size + refused + errors,
    accepted: accepted.size,
    refused,
    refused_by_limit: refusedBy,
    errors,
    accepted_per_s: r1(accepted.size / windowS),
    refused_per_s: r1(refused / windowS),
    completed_per_s_in_window: r1(completedInWindow / opts.duration),
    retry_after_s: retryAfters.length ? { min: Math.min(...retryAfters), max: Math.max(...retryAfters) } : null,
    post_p50_ms: r1(pct(postMs, 50)),
    post_p99_ms: r1(pct(postMs, 99)),
    drain_s: Math.round(drainS),
    still_running_after_drain: stillRunning,
    read_back: seen,
    statuses,
    latency_ms: { p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), max: latencies.length ? latencies[latencies.length - 1] : null },
    per_10s: buckets.map((b) => b || { accepted: 0, refused: 0, errors: 0 }),
    completed_per_10s: Array.from(completedPer10s, (n) => n || 0),
    driver_cpu_ms: Math.round((() => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; })()),
  };

  console.log(`\n  overload ${result.label}: ${opts.clients} clients for ${result.duration_s}s, Retry-After ${result.honor_retry_after ? 'honoured' : 'ignored'}`);
  const rows = [
    ['submits', result.submits],
    ['accepted', `${result.accepted} (${result.accepted_per_s}/s)`],
    ['refused (429)', `${result.refused} (${result.refused_per_s}/s) ${JSON.stringify(result.refused_by_limit)}`],
    ['errors', result.errors],
    ['completed/s', `${result.completed_per_s_in_window} (in the window)`],
    ['Retry-After s', result.retry_after_s ? `${result.retry_after_s.min}..${result.retry_after_s.max}` : '-'],
    ['POST p50/p99 ms', `${result.post_p50_ms} / ${result.post_p99_ms}`],
    ['latency p50 ms', result.latency_ms.p50],
    ['latency p95 ms', result.latency_ms.p95],
    ['latency max ms', result.latency_ms.max],
    ['statuses', JSON.stringify(result.statuses)],
    ['drain', `${result.drain_s}s, ${result.still_running_after_drain} still running`],
  ];
  for (const [k, v] of rows) console.log(`    ${k.padEnd(16)} ${v === null ? '-' : v}`);
  if (errorSamples.size) {
    console.log('    error samples:');
    for (const [m, n] of [...errorSamples].slice(0, 5)) console.log(`      ${n} x ${m}`);
  }
  console.log('RESULT ' + JSON.stringify(result));
}

main().catch((e) => {
  console.error('overload.js failed:', e);
  process.exit(1);
});
