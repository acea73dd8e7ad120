#!/usr/bin/env node
// The load driver of bench/llm-bench. Plain Node (>= 18), no dependencies.
//
// One process runs every row, so both sides of a comparison are measured by the same warmed
// driver: for each run, mode (json: non-stream; stream: SSE) and client count, it measures the
// upstream called directly and the same upstream through Gatehouse, back to back (the order
// alternates between runs). Each client is one keep-alive connection looping POST
// /chat/completions and reading the whole answer; the answer is checked (the text, and for a
// stream its [DONE]), anything else is an error. Latency is request start to the last byte; for
// streams the time to the first body byte is reported too. A call counts when it starts after the
// row's warm-up and ends inside the measured window.
//
// With --gateway-pid (and --upstream-pid, --postgres-pid: the postmaster, whose children are
// summed) it reads /proc at the window's edges and reports each one's cores and CPU ms per call.
//
// Usage: node llm-load.js --direct URL --direct-key K --direct-model M
//                         --gateway URL --gateway-key K --gateway-model M
//                         [--clients "1 64"] [--modes "json stream"] [--runs 3] [--duration 10]
//                         [--row-warmup 2] [--warmup 30] [--gateway-pid P] [--upstream-pid P]
//                         [--postgres-pid P] [--clk-tck 100]
// URLs end in /v1. Prints a table, one `ROW {json}` line per row and a `SUMMARY {json}` line.
// Exit 0 even with errors (they are reported); 2 for bad usage.
'use strict';
const http = require('http');
const fs = require('fs');
const { performance } = require('perf_hooks');

const EXPECTED = 'Hello from the bench upstream.';

function usage(msg) {
  console.error(`llm-load.js: ${msg}`);
  console.error('usage: node llm-load.js --direct URL --direct-key K --direct-model M --gateway URL --gateway-key K --gateway-model M [options]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { clients: '1 64', modes: 'json stream', runs: '3', duration: '10', 'row-warmup': '2', warmup: '30', 'clk-tck': '100' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || i + 1 >= argv.length) usage(`bad argument ${a}`);
    o[a.slice(2)] = argv[++i];
  }
  for (const k of ['direct', 'direct-key', 'direct-model', 'gateway', 'gateway-key', 'gateway-model']) {
    if (!o[k]) usage(`--${k} is required`);
  }
  const num = (k, lo, hi) => {
    const v = Number(o[k]);
    if (!(Number.isFinite(v) && v >= lo && v <= hi)) usage(`--${k} must be ${lo}..${hi}`);
    return v;
  };
  const out = {
    targets: {
      direct: { url: new URL(o.direct), key: o['direct-key'], model: o['direct-model'] },
      gateway: { url: new URL(o.gateway), key: o['gateway-key'], model: o['gateway-model'] },
    },
    clients: o.clients.split(/\s+/).filter(Boolean).map(Number),
    modes: o.modes.split(/\s+/).filter(Boolean),
    runs: num('runs', 1, 20),
    duration: num('duration', 1, 600),
    rowWarmup: num('row-warmup', 0, 60),
    warmup: num('warmup', 0, 600),
    clkTck: num('clk-tck', 1, 10000),
    pids: {
      gateway: o['gateway-pid'] ? Number(o['gateway-pid']) : null,
      upstream: o['upstream-pid'] ? Number(o['upstream-pid']) : null,
      postgres: o['postgres-pid'] ? Number(o['postgres-pid']) : null,
    },
  };
  for (const t of Object.values(out.targets)) {
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(t.url.hostname)) usage('the benchmark talks to loopback only');
  }
  for (const c of out.clients) if (!(Number.isInteger(c) && c >= 1 && c <= 1000)) usage(`bad client count ${c}`);
  for (const m of out.modes) if (m !== 'json' && m !== 'stream') usage(`bad mode ${m} (json or stream)`);
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- /proc ----------------------------------------------------------------------------------

function ticksOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch (e) {
    return 0;
  }
}

function childrenOf(parent) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(name));
    } catch (e) {
      // gone
    }
  }
  return out;
}

function busyTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  // user nice system irq softirq (as bench/mcp-bench counts busy)
  return Number(line[1]) + Number(line[2]) + Number(line[3]) + Number(line[6]) + Number(line[7]);
}

function snapshot() {
  const pg = opts.pids.postgres;
  const u = process.cpuUsage();
  return {
    at: performance.now(),
    busy: busyTicks(),
    gateway: opts.pids.gateway ? ticksOf(opts.pids.gateway) : null,
    upstream: opts.pids.upstream ? ticksOf(opts.pids.upstream) : null,
    postgres: pg ? [pg, ...childrenOf(pg)].reduce((t, p) => t + ticksOf(p), 0) : null,
    driverMs: (u.user + u.system) / 1000,
  };
}

// ---- one call -------------------------------------------------------------------------------

function bodyFor(target, mode) {
  const body = { model: target.model, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }], max_tokens: 16 };
  if (mode === 'stream') body.stream = true;
  return Buffer.from(JSON.stringify(body));
}

function call(target, agent, body, mode) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = null;
    const req = http.request(
      {
        host: target.url.hostname,
        port: target.url.port || 80,
        method: 'POST',
        path: target.url.pathname.replace(/\/$/, '') + '/chat/completions',
        agent,
        headers: {
          Authorization: `Bearer ${target.key}`,
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          Accept: mode === 'stream' ? 'text/event-stream' : 'application/json',
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => {
          if (first === null) first = performance.now();
          chunks.push(c);
        });
        res.on('end', () => {
          const end = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 160)}`));
          try {
            const usageChunks = check(text, mode);
            resolve({ latency: end - t0, ttfb: (first ?? end) - t0, usageChunks });
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      }
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Throws unless the answer carries the expected text; returns the usage chunks a stream held. */
function check(text, mode) {
  if (mode === 'json') {
    const content = JSON.parse(text).choices[0].message.content;
    if (content !== EXPECTED) throw new Error(`wrong content ${JSON.stringify(content).slice(0, 80)}`);
    return 0;
  }
  let content = '';
  let done = false;
  let usage = 0;
  for (const event of text.split('\n\n')) {
    const line = event.split('\n').find((l) => l.startsWith('data:'));
    if (!line) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data);
    if (chunk.usage) usage++;
    if (chunk.choices && chunk.choices[0] && chunk.choices[0].delta) content += chunk.choices[0].delta.content || '';
  }
  if (!done) throw new Error('the stream ended without [DONE]');
  if (content !== EXPECTED) throw new Error(`wrong streamed content ${JSON.stringify(content).slice(0, 80)}`);
  return usage;
}

// ---- one row --------------------------------------------------------------------------------

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const r3 = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 1000);
const r1 = (v) => (v === null || v === undefined ? null : Math.round(v * 10) / 10);

async function row(targetName, mode, clients, warmupS, durationS, record) {
  const target = opts.targets[targetName];
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const body = bodyFor(target, mode);
  const start = performance.now();
  const from = start + warmupS * 1000;
  const to = from + durationS * 1000;
  const latencies = [];
  const ttfbs = [];
  let errors = 0;
  let warmupCalls = 0;
  let usageChunks = 0;
  const samples = new Map();
  let snap0 = null;
  let snap1 = null;
  const t0 = setTimeout(() => { snap0 = snapshot(); }, Math.max(0, from - performance.now()));
  const t1 = setTimeout(() => { snap1 = snapshot(); }, Math.max(0, to - performance.now()));

  async function client() {
    while (performance.now() < to) {
      const began = performance.now();
      try {
        const r = await call(target, agent, body, mode);
        const ended = began + r.latency;
        if (began >= from && ended <= to) {
          latencies.push(r.latency);
          ttfbs.push(r.ttfb);
          usageChunks += r.usageChunks;
        } else if (began < from) {
          warmupCalls++;
        }
      } catch (e) {
        if (began >= from) errors++;
        const m = String(e.message || e).slice(0, 160);
        samples.set(m, (samples.get(m) || 0) + 1);
        await sleep(50); // no hot loop against a failing target
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  clearTimeout(t0);
  clearTimeout(t1);
  agent.destroy();
  if (!record) return { calls: latencies.length + warmupCalls, errors, samples };

  latencies.sort((a, b) => a - b);
  ttfbs.sort((a, b) => a - b);
  const n = latencies.length;
  const out = {
    target: targetName,
    mode,
    clients,
    calls: n,
    errors,
    warmupCalls,
    callsPerSecond: Math.round((n / durationS) * 10) / 10,
    p50Ms: r3(pct(latencies, 50)),
    p90Ms: r3(pct(latencies, 90)),
    p99Ms: r3(pct(latencies, 99)),
    maxMs: r3(n ? latencies[n - 1] : null),
    meanMs: r3(n ? latencies.reduce((a, b) => a + b, 0) / n : null),
    ttfbP50Ms: mode === 'stream' ? r3(pct(ttfbs, 50)) : null,
    ttfbP99Ms: mode === 'stream' ? r3(pct(ttfbs, 99)) : null,
    usageChunks,
    errorSamples: [...samples].slice(0, 3).map(([m, c]) => `${c} x ${m}`),
  };
  if (snap0 && snap1) {
    const secs = (snap1.at - snap0.at) / 1000;
    const cores = (ticks) => (ticks === null ? null : Math.round((ticks / opts.clkTck / secs) * 100) / 100);
    const perCall = (ticks) => (ticks === null || n === 0 ? null : r3((ticks / opts.clkTck) * 1000 / n));
    const d = (k) => (snap0[k] === null ? null : snap1[k] - snap0[k]);
    const driverTicks = ((snap1.driverMs - snap0.driverMs) / 1000) * opts.clkTck;
    const known = [d('gateway'), d('upstream'), d('postgres'), driverTicks].reduce((a, b) => a + (b || 0), 0);
    out.cpuCores = {
      busy: cores(d('busy')),
      gateway: cores(d('gateway')),
      postgres: cores(d('postgres')),
      upstream: cores(d('upstream')),
      driver: cores(driverTicks),
      other: Math.max(0, cores(d('busy') - known)),
    };
    out.cpuMsPerCall = { gateway: perCall(d('gateway')), postgres: perCall(d('postgres')), upstream: perCall(d('upstream')) };
  }
  return out;
}

// ---- the run --------------------------------------------------------------------------------

function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function printRow(r, run) {
  const f = (v, w) => String(v === null || v === undefined ? '-' : v).padStart(w);
  const c = r.cpuCores || {};
  console.log(
    `   ${f(run, 3)} ${r.mode.padEnd(6)} ${f(r.clients, 4)} ${r.target.padEnd(8)} ${f(r.calls, 8)} ${f(r.callsPerSecond, 9)} ` +
    `${f(r.p50Ms, 8)} ${f(r.p90Ms, 8)} ${f(r.p99Ms, 8)} ${f(r.ttfbP50Ms, 8)} ${f(r.errors, 6)} ` +
    `${f(r.cpuMsPerCall ? r.cpuMsPerCall.gateway : null, 8)}  ${[c.gateway, c.postgres, c.upstream, c.driver, c.other].map((x) => (x === undefined || x === null ? '-' : x)).join(' ')}`
  );
  for (const s of r.errorSamples) console.log(`         error: ${s}`);
}

async function main() {
  const begin = performance.now();
  // Warm both sides on every mode before anything is measured: the gateway (its JIT) for
  // --warmup seconds in all, the upstream for 2 s per mode.
  if (opts.warmup > 0) {
    const warmClients = Math.min(8, Math.max(...opts.clients));
    for (const mode of opts.modes) {
      for (const [t, secs] of [['gateway', opts.warmup / opts.modes.length], ['direct', 2]]) {
        const w = await row(t, mode, warmClients, 0, secs, false);
        console.log(`   warm-up   ${t} ${mode}: ${w.calls} calls in ${r1(secs)} s at ${warmClients} connections, ${w.errors} errors`);
        for (const [m, c] of w.samples) console.log(`         error: ${c} x ${m}`);
      }
    }
  }
  console.log(`   ${'run'.padStart(3)} ${'mode'.padEnd(6)} ${'conn'.padStart(4)} ${'target'.padEnd(8)} ${'calls'.padStart(8)} ${'calls/s'.padStart(9)} ` +
    `${'p50ms'.padStart(8)} ${'p90ms'.padStart(8)} ${'p99ms'.padStart(8)} ${'ttfb50'.padStart(8)} ${'errors'.padStart(6)} ${'gwms/call'.padStart(8)}  cores: gw pg up driver other`);
  const rows = [];
  for (let run = 1; run <= opts.runs; run++) {
    const order = run % 2 === 1 ? ['direct', 'gateway'] : ['gateway', 'direct'];
    for (const mode of opts.modes) {
      for (const clients of opts.clients) {
        for (const t of order) {
          const r = await row(t, mode, clients, opts.rowWarmup, opts.duration, true);
          r.run = run;
          rows.push(r);
          printRow(r, run);
          console.log('ROW ' + JSON.stringify(r));
        }
      }
    }
  }

  // Per mode and client count: medians over the runs of each side and of the per-run comparisons.
  const summary = [];
  for (const mode of opts.modes) {
    for (const clients of opts.clients) {
      const pairs = [];
      for (let run = 1; run <= opts.runs; run++) {
        const d = rows.find((r) => r.run === run && r.mode === mode && r.clients === clients && r.target === 'direct');
        const g = rows.find((r) => r.run === run && r.mode === mode && r.clients === clients && r.target === 'gateway');
        if (d && g) pairs.push({ d, g });
      }
      const m = (fn) => r3(median(pairs.map(fn)));
      summary.push({
        mode,
        clients,
        runs: pairs.length,
        directP50Ms: m((p) => p.d.p50Ms),
        gatewayP50Ms: m((p) => p.g.p50Ms),
        addedP50Ms: m((p) => (p.g.p50Ms === null || p.d.p50Ms === null ? null : p.g.p50Ms - p.d.p50Ms)),
        addedP50MsRange: [r3(Math.min(...pairs.map((p) => p.g.p50Ms - p.d.p50Ms))), r3(Math.max(...pairs.map((p) => p.g.p50Ms - p.d.p50Ms)))],
        directP99Ms: m((p) => p.d.p99Ms),
        gatewayP99Ms: m((p) => p.g.p99Ms),
        directCallsPerSecond: r1(median(pairs.map((p) => p.d.callsPerSecond))),
        gatewayCallsPerSecond: r1(median(pairs.map((p) => p.g.callsPerSecond))),
        throughputRatio: m((p) => (p.d.callsPerSecond > 0 ? p.g.callsPerSecond / p.d.callsPerSecond : null)),
        throughputRatioRange: [
          r3(Math.min(...pairs.map((p) => p.g.callsPerSecond / p.d.callsPerSecond))),
          r3(Math.max(...pairs.map((p) => p.g.callsPerSecond / p.d.callsPerSecond))),
        ],
        gatewayCpuMsPerCall: m((p) => (p.g.cpuMsPerCall ? p.g.cpuMsPerCall.gateway : null)),
        postgresCpuMsPerCall: m((p) => (p.g.cpuMsPerCall ? p.g.cpuMsPerCall.postgres : null)),
        gatewayTtfbP50Ms: mode === 'stream' ? m((p) => p.g.ttfbP50Ms) : null,
        directTtfbP50Ms: mode === 'stream' ? m((p) => p.d.ttfbP50Ms) : null,
        errors: pairs.reduce((a, p) => a + p.d.errors + p.g.errors, 0),
        maxOtherCores: r1(Math.max(...pairs.flatMap((p) => [p.d, p.g].map((r) => (r.cpuCores ? r.cpuCores.other : 0))))),
        gatewayUsageChunks: pairs.reduce((a, p) => a + p.g.usageChunks, 0),
      });
    }
  }
  console.log('');
  console.log('== Summary: medians over the runs (reported, not asserted)');
  console.log('   goals: added p50 <= 0.3 ms at 1 connection; at 64 connections >= 35% of the direct throughput');
  for (const s of summary) {
    let goal = '';
    if (s.clients === 1) goal = s.addedP50Ms === null ? '' : s.addedP50Ms <= 0.3 ? '  [p50 goal met]' : '  [p50 goal NOT met]';
    if (s.clients === 64) goal = s.throughputRatio === null ? '' : s.throughputRatio >= 0.35 ? '  [throughput goal met]' : '  [throughput goal NOT met]';
    console.log(
      `   ${s.mode.padEnd(6)} ${String(s.clients).padStart(3)} conn: p50 ${s.gatewayP50Ms} vs ${s.directP50Ms} ms direct ` +
      `(added ${s.addedP50Ms} ms, runs ${s.addedP50MsRange.join('..')}), p99 ${s.gatewayP99Ms} vs ${s.directP99Ms} ms, ` +
      `${s.gatewayCallsPerSecond} vs ${s.directCallsPerSecond} calls/s (ratio ${s.throughputRatio}, runs ${s.throughputRatioRange.join('..')}), ` +
      `gateway CPU ${s.gatewayCpuMsPerCall} ms/call, postgres ${s.postgresCpuMsPerCall} ms/call, errors ${s.errors}` + goal
    );
  }
  const u = process.cpuUsage();
  console.log('SUMMARY ' + JSON.stringify({ rows: summary, wallSeconds: Math.round((performance.now() - begin) / 1000),
    driverCpuSeconds: Math.round((u.user + u.system) / 1e5) / 10 }));
}

main().catch((e) => {
  console.error('llm-load.js failed:', e);
  process.exit(1);
});
