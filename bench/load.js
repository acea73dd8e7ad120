#!/usr/bin/env node
// Gatehouse load driver. Plain Node (>= 18), no dependencies.
//
// N concurrent clients run for WARMUP + DURATION seconds. Each client loops:
//   POST /v1/tasks (a 3-step sequential pipeline bench.a -> bench.b -> bench.c),
//   then GET /v1/tasks/{id}?wait=30s until the task is no longer RUNNING.
// The latency of a task is submit-to-completion: from just before the POST to the moment the
// GET answering COMPLETED has been read. Tasks submitted during the warm-up are not recorded.
//
// Usage: node load.js --url http://127.0.0.1:8080 --key KEY [--clients 16] [--duration 20]
//                     [--warmup 5] [--label name]
// Prints a human table and one line `RESULT {json}`. Exit code 0 even with errors (they are
// reported); 2 for bad usage.
'use strict';
const http = require('http');
const { performance } = require('perf_hooks');

function parseArgs(argv) {
  const out = { url: 'http://127.0.0.1:8080', key: process.env.GATEHOUSE_DEV_KEY, clients: 16, duration: 20, warmup: 5, label: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || i + 1 >= argv.length) usage(`bad argument ${a}`);
    out[a.slice(2)] = argv[++i];
  }
  out.clients = Number(out.clients);
  out.duration = Number(out.duration);
  out.warmup = Number(out.warmup);
  if (!out.key) usage('--key (or GATEHOUSE_DEV_KEY) is required');
  if (!(out.clients >= 1 && out.clients <= 1000)) usage('--clients must be 1..1000');
  if (!(out.duration > 0 && out.duration <= 3600)) usage('--duration must be 0..3600 s');
  if (!(out.warmup >= 0 && out.warmup <= 600)) usage('--warmup must be 0..600 s');
  return out;
}

function usage(msg) {
  console.error(`load.js: ${msg}`);
  console.error('usage: node load.js --url URL --key KEY [--clients N] [--duration S] [--warmup S] [--label L]');
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const base = new URL(opts.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) usage('the benchmark talks to loopback only');
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients, maxFreeSockets: opts.clients });

const REQUEST_TIMEOUT_MS = 45_000; // > the 30 s long poll
const TASK_DEADLINE_MS = 90_000; // a task not done by then counts as an error

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${opts.key}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request(
      { host: base.hostname, port: base.port || 80, method, path, headers, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      }
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path} timed out`)));
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

// One task, start to finish. Resolves {latency, submitMs, polls}; rejects with a short reason.
async function runTask() {
  const x = Math.floor(Math.random() * 1000);
  const t0 = performance.now();
  const post = await request('POST', '/v1/tasks', pipelineBody(x));
  const submitMs = performance.now() - t0;
  if (post.status !== 202) throw new Error(`POST answered ${post.status}: ${post.body.slice(0, 200)}`);
  const id = JSON.parse(post.body).id;
  let polls = 0;
  for (;;) {
    const get = await request('GET', `/v1/tasks/${encodeURIComponent(id)}?wait=30s`);
    polls++;
    if (get.status !== 200) throw new Error(`GET answered ${get.status}: ${get.body.slice(0, 200)}`);
    const task = JSON.parse(get.body);
    if (task.status === 'RUNNING') {
      if (performance.now() - t0 > TASK_DEADLINE_MS) throw new Error(`task ${id} still RUNNING after ${TASK_DEADLINE_MS} ms`);
      continue;
    }
    const latency = performance.now() - t0;
    if (task.status !== 'COMPLETED') throw new Error(`task ended ${task.status}: ${JSON.stringify(task.error)}`);
    const want = (2 * x + 1) * 3;
    const got = task.result && task.result.s3 && task.result.s3.v;
    if (got !== want) throw new Error(`wrong result: s3.v=${JSON.stringify(got)}, expected ${want}`);
    return { latency, submitMs, polls };
  }
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const start = performance.now();
  const measureFrom = start + opts.warmup * 1000;
  const measureTo = measureFrom + opts.duration * 1000;
  const latencies = [];
  const submits = [];
  let completedInWindow = 0;
  let warmupTasks = 0;
  let errors = 0;
  let warmupErrors = 0;
  let polls = 0;
  const errorSamples = new Map();
  const perSecond = []; // completions per second since the start, warm-up included

  async function client() {
    while (performance.now() < measureTo) {
      const submittedAt = performance.now();
      const measured = submittedAt >= measureFrom;
      try {
        const r = await runTask();
        const doneAt = performance.now();
        if (measured) {
          latencies.push(r.latency);
          submits.push(r.submitMs);
          polls += r.polls;
        } else {
          warmupTasks++;
        }
        if (doneAt >= measureFrom && doneAt < measureTo) completedInWindow++;
        const sec = Math.floor((doneAt - start) / 1000);
        perSecond[sec] = (perSecond[sec] || 0) + 1;
      } catch (e) {
        if (measured) errors++;
        else warmupErrors++;
        const msg = String(e.message || e).slice(0, 160);
        errorSamples.set(msg, (errorSamples.get(msg) || 0) + 1);
        await sleep(100); // no hot loop against a failing gateway
      }
    }
  }

  await Promise.all(Array.from({ length: opts.clients }, client));
  agent.destroy();

  latencies.sort((a, b) => a - b);
  submits.sort((a, b) => a - b);
  const r1 = (v) => (v === null ? null : Math.round(v * 10) / 10);
  const result = {
    label: opts.label || `c${opts.clients}`,
    clients: opts.clients,
    warmup_s: opts.warmup,
    duration_s: opts.duration,
    tasks: latencies.length,
    errors,
    warmup_tasks: warmupTasks,
    warmup_errors: warmupErrors,
    tasks_per_s: Math.round((completedInWindow / opts.duration) * 10) / 10,
    p50_ms: r1(pct(latencies, 50)),
    p90_ms: r1(pct(latencies, 90)),
    p99_ms: r1(pct(latencies, 99)),
    max_ms: r1(latencies.length ? latencies[latencies.length - 1] : null),
    mean_ms: r1(latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null),
    submit_p50_ms: r1(pct(submits, 50)),
    submit_p99_ms: r1(pct(submits, 99)),
    gets_per_task: latencies.length ? Math.round((polls / latencies.length) * 100) / 100 : null,
    // tasks/s in 5-second buckets from the start (warm-up included): shows warm-up and drift
    timeline_5s: (() => {
      const out = [];
      const secs = opts.warmup + opts.duration;
      for (let b = 0; b * 5 < secs; b++) {
        let n = 0;
        for (let i = b * 5; i < Math.min(secs, b * 5 + 5); i++) n += perSecond[i] || 0;
        out.push(Math.round((n / Math.min(5, secs - b * 5)) * 10) / 10);
      }
      return out;
    })(),
    driver_cpu_ms: Math.round((() => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; })()),
  };

  const rows = [
    ['clients', result.clients],
    ['tasks measured', result.tasks],
    ['errors', result.errors],
    ['tasks/s', result.tasks_per_s],
    ['p50 ms', result.p50_ms],
    ['p90 ms', result.p90_ms],
    ['p99 ms', result.p99_ms],
    ['max ms', result.max_ms],
    ['mean ms', result.mean_ms],
    ['POST p50 ms', result.submit_p50_ms],
    ['GETs per task', result.gets_per_task],
    ['tasks/s per 5s', result.timeline_5s.join(' ')],
  ];
  console.log(`\n  load ${result.label}: ${opts.clients} client(s), ${opts.warmup}s warm-up (${warmupTasks} tasks), ${opts.duration}s measured`);
  for (const [k, v] of rows) console.log(`    ${k.padEnd(16)} ${v === null ? '-' : v}`);
  if (errorSamples.size) {
    console.log('    error samples:');
    for (const [m, n] of [...errorSamples].slice(0, 5)) console.log(`      ${n} x ${m}`);
  }
  console.log('RESULT ' + JSON.stringify(result));
}

main().catch((e) => {
  console.error('load.js failed:', e);
  process.exit(1);
});
