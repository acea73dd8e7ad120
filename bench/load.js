#!/usr/bin/env node
// Gatehouse pipeline load driver (bench/bench). Plain Node (>= 18), no dependencies.
//
// One process runs every row of a run, so its own code is warm once. Each client loops:
//   POST /v1/tasks (a 3-step sequential pipeline bench.a -> bench.b -> bench.c; with
//   --workflow agent, an agent task whose fake model calls the same three tools, one per step, and
//   then answers: four model calls and three tool calls),
//   then GET /v1/tasks/{id}?wait=30s until the task is no longer RUNNING.
// The latency of a task is submit-to-completion: from just before the POST to the moment the
// GET answering COMPLETED has been read.
//
// First the path is warmed: chunks of untimed load until the gateway JVM's compiler share in a
// chunk is below --warm-settle % (or --warm-max seconds pass; bench/proc.js reads /proc). Then
// --runs runs, each with one row per client count (the order alternates between runs). A row
// has --row-warmup untimed seconds on its clients, then --duration measured seconds: tasks
// submitted in the window give the latencies, tasks completed in it the throughput, and the
// gateway's CPU is read from /proc at the window's edges (so CPU per task has no warm-up in it).
//
// Usage: node load.js --url http://127.0.0.1:8080 --key KEY [--clients "1 16"] [--runs 3]
//                     [--duration 10] [--row-warmup 1] [--warm-chunk 5] [--warm-settle 5]
//                     [--warm-max 90] [--jit-flag 10] [--gateway-pid P] [--upstream-pid P]
//                     [--postgres-pid P] [--clk-tck 100] [--workflow pipeline|agent]
// Prints a table, one `WARM {json}` line, one `ROW {json}` line per row and a `SUMMARY {json}`
// line. Exit code 0 even with errors (they are reported); 2 for bad usage.
'use strict';
const http = require('http');
const { performance } = require('perf_hooks');
const proc = require('./proc.js');

function usage(msg) {
  console.error(`load.js: ${msg}`);
  console.error('usage: node load.js --url URL --key KEY [--clients "1 16"] [--runs N] [--duration S] [--row-warmup S] [options]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { url: 'http://127.0.0.1:8080', key: process.env.GATEHOUSE_DEV_KEY, clients: '1 16', runs: '3', duration: '10',
    'row-warmup': '1', 'warm-chunk': '5', 'warm-settle': '5', 'warm-max': '90', 'jit-flag': '10', 'clk-tck': '100',
    workflow: 'pipeline' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || i + 1 >= argv.length) usage(`bad argument ${a}`);
    o[a.slice(2)] = argv[++i];
  }
  if (!o.key) usage('--key (or GATEHOUSE_DEV_KEY) is required');
  const num = (k, lo, hi) => {
    const v = Number(o[k]);
    if (!(Number.isFinite(v) && v >= lo && v <= hi)) usage(`--${k} must be ${lo}..${hi}`);
    return v;
  };
  const out = {
    url: new URL(o.url),
    key: o.key,
    clients: String(o.clients).split(/\s+/).filter(Boolean).map(Number),
    runs: num('runs', 1, 20),
    duration: num('duration', 1, 3600),
    rowWarmup: num('row-warmup', 0, 600),
    warmChunk: num('warm-chunk', 1, 60),
    warmSettle: num('warm-settle', 0, 100),
    warmMax: num('warm-max', 0, 900),
    jitFlag: num('jit-flag', 0, 100),
    clkTck: num('clk-tck', 1, 10000),
    workflow: o.workflow,
    pids: {
      gateway: o['gateway-pid'] ? Number(o['gateway-pid']) : null,
      upstream: o['upstream-pid'] ? Number(o['upstream-pid']) : null,
      postgres: o['postgres-pid'] ? Number(o['postgres-pid']) : null,
    },
  };
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(out.url.hostname)) usage('the benchmark talks to loopback only');
  if (out.clients.length === 0) usage('--clients is empty');
  if (!['pipeline', 'agent'].includes(out.workflow)) usage('--workflow must be pipeline or agent');
  for (const c of out.clients) if (!(Number.isInteger(c) && c >= 1 && c <= 1000)) usage(`bad client count ${c}`);
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const WORKFLOW = opts.workflow;
const snapshot = () => proc.snapshot(opts.pids);

const REQUEST_TIMEOUT_MS = 45_000; // > the 30 s long poll
const TASK_DEADLINE_MS = 90_000; // a task not done by then counts as an error

function request(agent, method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${opts.key}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request(
      { host: opts.url.hostname, port: opts.url.port || 80, method, path, headers, agent },
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

function agentBody(x) {
  return JSON.stringify({
    workflow: 'agent',
    input: { model: 'bench-model', goal: `x=${x}`, tools: ['bench.*'], limits: { maxSteps: 10, maxOutputTokens: 64 } },
  });
}

// One task, start to finish. Resolves {latency, submitMs, polls}; rejects with a short reason.
async function runTask(agent) {
  const x = Math.floor(Math.random() * 1000);
  const t0 = performance.now();
  const post = await request(agent, 'POST', '/v1/tasks', WORKFLOW === 'agent' ? agentBody(x) : pipelineBody(x));
  const submitMs = performance.now() - t0;
  if (post.status !== 202) throw new Error(`POST answered ${post.status}: ${post.body.slice(0, 200)}`);
  const id = JSON.parse(post.body).id;
  let polls = 0;
  for (;;) {
    const get = await request(agent, 'GET', `/v1/tasks/${encodeURIComponent(id)}?wait=30s`);
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
    const got = WORKFLOW === 'agent'
      ? task.result && task.result.stopReason === 'completed' && Number(task.result.content)
      : task.result && task.result.s3 && task.result.s3.v;
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
const r1 = (v) => (v === null || v === undefined ? null : Math.round(v * 10) / 10);
const r3 = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 1000);

// One row: `clients` clients for warmupS untimed + durationS measured seconds.
async function row(clients, warmupS, durationS, record) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const start = performance.now();
  const measureFrom = start + warmupS * 1000;
  const measureTo = measureFrom + durationS * 1000;
  const latencies = [];
  const submits = [];
  let completedInWindow = 0;
  let warmupTasks = 0;
  let errors = 0;
  let polls = 0;
  const errorSamples = new Map();
  let snap0 = null;
  let snap1 = null;
  const t0 = setTimeout(() => { snap0 = snapshot(); }, Math.max(0, measureFrom - performance.now()));
  const t1 = setTimeout(() => { snap1 = snapshot(); }, Math.max(0, measureTo - performance.now()));

  async function client() {
    while (performance.now() < measureTo) {
      const submittedAt = performance.now();
      const measured = submittedAt >= measureFrom;
      try {
        const r = await runTask(agent);
        const doneAt = performance.now();
        if (measured) {
          latencies.push(r.latency);
          submits.push(r.submitMs);
          polls += r.polls;
        } else {
          warmupTasks++;
        }
        if (doneAt >= measureFrom && doneAt < measureTo) completedInWindow++;
      } catch (e) {
        if (measured) errors++;
        const msg = String(e.message || e).slice(0, 160);
        errorSamples.set(msg, (errorSamples.get(msg) || 0) + 1);
        await sleep(100); // no hot loop against a failing gateway
      }
    }
  }

  await Promise.all(Array.from({ length: clients }, client));
  clearTimeout(t0);
  clearTimeout(t1);
  if (snap0 && !snap1) snap1 = snapshot();
  agent.destroy();
  if (!record) return { tasks: latencies.length + warmupTasks, errors, errorSamples };

  latencies.sort((a, b) => a - b);
  submits.sort((a, b) => a - b);
  const out = {
    clients,
    rowWarmupS: warmupS,
    durationS,
    tasks: latencies.length,
    errors,
    warmupTasks,
    tasksCompletedInWindow: completedInWindow,
    tasksPerSecond: r1(completedInWindow / durationS),
    p50Ms: r1(pct(latencies, 50)),
    p90Ms: r1(pct(latencies, 90)),
    p99Ms: r1(pct(latencies, 99)),
    maxMs: r1(latencies.length ? latencies[latencies.length - 1] : null),
    meanMs: r1(latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null),
    submitP50Ms: r1(pct(submits, 50)),
    submitP99Ms: r1(pct(submits, 99)),
    getsPerTask: latencies.length ? Math.round((polls / latencies.length) * 100) / 100 : null,
    errorSamples: [...errorSamples].slice(0, 3).map(([m, c]) => `${c} x ${m}`),
  };
  if (snap0 && snap1) {
    // CPU over the measured window only, per task completed in it
    const d = proc.delta(snap0, snap1, opts.clkTck);
    const perTask = (name) => (d.cpu[name] && completedInWindow > 0 ? r3(d.cpu[name].ms / completedInWindow) : null);
    out.cpuCores = d.cores;
    out.cpuMsPerTask = { gateway: perTask('gateway'), postgres: perTask('postgres'), upstream: perTask('upstream'), driver: perTask('driver') };
    out.gatewayJitShare = d.cpu.gateway ? d.cpu.gateway.jitShare : null;
    out.jitHigh = out.gatewayJitShare !== null && out.gatewayJitShare > opts.jitFlag;
    out.window = d;
  }
  return out;
}

function stat(values) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median: r3(median), min: r3(v[0]), max: r3(v[v.length - 1]), n: v.length };
}
const fmt = (s) => (s.median === null ? '-' : s.n > 1 ? `${s.median} (${s.min}..${s.max})` : `${s.median}`);

function printRow(r, run) {
  const f = (v, w) => String(v === null || v === undefined ? '-' : v).padStart(w);
  const c = r.cpuCores || {};
  console.log(
    `   ${f(run, 3)} ${f(r.clients, 7)} ${f(r.tasks, 7)} ${f(r.tasksPerSecond, 8)} ${f(r.p50Ms, 8)} ${f(r.p90Ms, 8)} ${f(r.p99Ms, 8)} ` +
    `${f(r.submitP50Ms, 8)} ${f(r.errors, 6)} ${f(r.cpuMsPerTask ? r.cpuMsPerTask.gateway : null, 10)} ${f(r.gatewayJitShare, 5)}` +
    `${r.jitHigh ? ' JIT!' : '     '}  ${[c.gateway, c.postgres, c.upstream, c.driver, c.other].map((x) => (x === undefined || x === null ? '-' : x)).join(' ')}`
  );
  for (const s of r.errorSamples) console.log(`         error: ${s}`);
}

async function main() {
  const begin = performance.now();
  // Warm the pipeline path until the gateway's compiler share settles.
  const warmClients = Math.min(8, Math.max(...opts.clients));
  let warmTasks = 0;
  let warmErrors = 0;
  const samples = new Map();
  const w = await proc.warmUntilSettled(
    async (secs) => {
      const r = await row(warmClients, 0, secs, false);
      warmTasks += r.tasks;
      warmErrors += r.errors;
      for (const [m, c] of r.errorSamples) samples.set(m, (samples.get(m) || 0) + c);
    },
    { pids: opts.pids, watch: ['gateway'], chunkS: opts.warmChunk, settle: opts.warmSettle, maxS: opts.warmMax, clkTck: opts.clkTck }
  );
  console.log(`   warm-up    ${WORKFLOW} ${w.seconds} s, ${w.chunks} chunk(s) at ${warmClients} clients, ${warmTasks} tasks, ${warmErrors} errors; ` +
    `gateway compiler share per chunk: ${w.jitSharePerChunk.map((x) => x + '%').join(' ') || '-'} -> ${w.settled ? 'settled' : opts.warmMax === 0 ? 'skipped (warm-max 0)' : `NOT settled (cap ${opts.warmMax}s)`}`);
  for (const [m, c] of samples) console.log(`         error: ${c} x ${m}`);
  console.log('WARM ' + JSON.stringify({ path: WORKFLOW, watched: 'gateway', tasks: warmTasks, errors: warmErrors, ...w }));

  console.log(`   ${'run'.padStart(3)} ${'clients'.padStart(7)} ${'tasks'.padStart(7)} ${'tasks/s'.padStart(8)} ${'p50ms'.padStart(8)} ` +
    `${'p90ms'.padStart(8)} ${'p99ms'.padStart(8)} ${'POSTp50'.padStart(8)} ${'errors'.padStart(6)} ${'gwms/task'.padStart(10)} ${'jit%'.padStart(5)}` +
    '       cores: gw pg up driver other');
  const rows = [];
  for (let run = 1; run <= opts.runs; run++) {
    const order = run % 2 === 1 ? opts.clients : [...opts.clients].reverse();
    for (const clients of order) {
      const r = await row(clients, opts.rowWarmup, opts.duration, true);
      r.run = run;
      rows.push(r);
      printRow(r, run);
      console.log('ROW ' + JSON.stringify(r));
    }
  }

  // Per client count: medians and ranges over the runs.
  const fewest = Math.min(...opts.clients);
  const most = Math.max(...opts.clients);
  const summary = [...new Set(opts.clients)].map((clients) => {
    const rs = rows.filter((r) => r.clients === clients);
    return {
      clients,
      runs: rs.length,
      p50Ms: stat(rs.map((r) => r.p50Ms)),
      p99Ms: stat(rs.map((r) => r.p99Ms)),
      tasksPerSecond: stat(rs.map((r) => r.tasksPerSecond)),
      gatewayCpuMsPerTask: stat(rs.map((r) => (r.cpuMsPerTask ? r.cpuMsPerTask.gateway : null))),
      postgresCpuMsPerTask: stat(rs.map((r) => (r.cpuMsPerTask ? r.cpuMsPerTask.postgres : null))),
      gatewayJitShareMax: stat(rs.map((r) => r.gatewayJitShare)).max,
      jitHighRows: rs.filter((r) => r.jitHigh).length,
      errors: rs.reduce((a, r) => a + r.errors, 0),
    };
  });
  console.log('');
  console.log(`== Summary: median (runs min..max) over ${opts.runs} run(s)`);
  // The pipeline's goals are issue 12's; the agent loop's issue asks for figures, not goals.
  const goals = WORKFLOW === 'pipeline';
  if (goals) {
    console.log(`   goals (issue 12), reported, never asserted: p50 <= 30 ms at ${fewest} client(s); >= 100 tasks/s at ${most} clients`);
  } else {
    console.log('   agent loop: 4 model calls and 3 tool calls per task (fake model, no delay); no goals, figures only');
  }
  for (const s of summary) {
    let goal = '';
    const met = (ok) => (ok === null ? '-' : ok ? 'met' : 'NOT met');
    if (goals && s.clients === fewest) goal += `  [p50 goal ${met(s.p50Ms.median === null ? null : s.p50Ms.median <= 30)}]`;
    if (goals && s.clients === most && most !== fewest) {
      goal += `  [throughput goal ${met(s.tasksPerSecond.median === null ? null : s.tasksPerSecond.median >= 100)}]`;
    }
    console.log(
      `   ${String(s.clients).padStart(4)} client(s): p50 ${fmt(s.p50Ms)} ms, p99 ${fmt(s.p99Ms)} ms, ${fmt(s.tasksPerSecond)} tasks/s, ` +
      `gateway CPU ${fmt(s.gatewayCpuMsPerTask)} ms/task, postgres ${fmt(s.postgresCpuMsPerTask)} ms/task, ` +
      `gateway compiler share max ${s.gatewayJitShareMax}%, errors ${s.errors}` + (s.jitHighRows ? `, JIT! rows ${s.jitHighRows}` : '') + goal
    );
  }
  const u = process.cpuUsage();
  console.log('SUMMARY ' + JSON.stringify({ rows: summary, wallSeconds: Math.round((performance.now() - begin) / 1000),
    driverCpuSeconds: Math.round((u.user + u.system) / 1e5) / 10 }));
}

main().catch((e) => {
  console.error('load.js failed:', e);
  process.exit(1);
});
