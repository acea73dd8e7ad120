#!/usr/bin/env node
// The load driver of bench/llm-bench. Plain Node (>= 18), no dependencies.
//
// One process runs every row, so both sides of a comparison are measured by the same warmed
// driver. First each mode's gateway path is warmed in chunks of untimed load until the gateway
// JVM's compiler share in a chunk settles below --warm-settle % (or --warm-max seconds pass), and
// the upstream gets one chunk per mode. Then for each run, mode (json: non-stream; stream: SSE) and client count, it measures the
// upstream called directly and the same upstream through Gatehouse, back to back (the order
// alternates between runs). Each client is one keep-alive connection looping POST
// /chat/completions and reading the whole answer; the answer is checked (the text, and for a
// stream its [DONE]), anything else is an error. Latency is request start to the last byte; for
// streams the time to the first body byte is reported too. A call counts when it starts after the
// row's warm-up and ends inside the measured window.
//
// With --gateway-pid (and --upstream-pid, --postgres-pid: the postmaster, whose children are
// summed) it reads /proc at the window's edges (bench/proc.js) and reports each one's cores, CPU ms
// per call and the gateway's compiler share; a gateway row whose share is above --jit-flag % is
// flagged.
//
// A/B: with --gateway-b (a second gateway, same key and model; --gateway-b-pid and
// --postgres-b-pid for its CPU) each run also times that gateway right after the first one, and
// the summary compares the two run by run.
//
// Usage: node llm-load.js --direct URL --direct-key K --direct-model M
//                         --gateway URL --gateway-key K --gateway-model M
//                         [--clients "1 64"] [--modes "json stream"] [--runs 3] [--duration 10]
//                         [--row-warmup 2] [--warm-chunk 5] [--warm-settle 5] [--warm-max 90]
//                         [--jit-flag 10] [--gateway-pid P] [--upstream-pid P] [--postgres-pid P]
//                         [--clk-tck 100] [--gateway-b URL --gateway-b-pid P --postgres-b-pid P]
// URLs end in /v1. Prints a table, one `WARM {json}` line per warmed path, one `ROW {json}` line
// per row and a `SUMMARY {json}` line.
// Exit 0 even with errors (they are reported); 2 for bad usage.
'use strict';
const http = require('http');
const { performance } = require('perf_hooks');
const proc = require('./proc.js');

const EXPECTED = 'Hello from the bench upstream.';

function usage(msg) {
  console.error(`llm-load.js: ${msg}`);
  console.error('usage: node llm-load.js --direct URL --direct-key K --direct-model M --gateway URL --gateway-key K --gateway-model M [options]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { clients: '1 64', modes: 'json stream', runs: '3', duration: '10', 'row-warmup': '2', 'warm-chunk': '5', 'warm-settle': '5',
    'warm-max': '90', 'jit-flag': '10', 'clk-tck': '100' };
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
      ...(o['gateway-b'] ? { 'gateway-b': { url: new URL(o['gateway-b']), key: o['gateway-key'], model: o['gateway-model'] } } : {}),
    },
    clients: o.clients.split(/\s+/).filter(Boolean).map(Number),
    modes: o.modes.split(/\s+/).filter(Boolean),
    runs: num('runs', 1, 20),
    duration: num('duration', 1, 600),
    rowWarmup: num('row-warmup', 0, 60),
    warmChunk: num('warm-chunk', 1, 60),
    warmSettle: num('warm-settle', 0, 100),
    warmMax: num('warm-max', 0, 900),
    jitFlag: num('jit-flag', 0, 100),
    clkTck: num('clk-tck', 1, 10000),
    pids: {
      gateway: o['gateway-pid'] ? Number(o['gateway-pid']) : null,
      upstream: o['upstream-pid'] ? Number(o['upstream-pid']) : null,
      postgres: o['postgres-pid'] ? Number(o['postgres-pid']) : null,
      'gateway-b': o['gateway-b-pid'] ? Number(o['gateway-b-pid']) : null,
      'postgres-b': o['postgres-b-pid'] ? Number(o['postgres-b-pid']) : null,
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

const PIDS = { ...opts.pids };
const AB = 'gateway-b' in opts.targets;
const GATEWAYS = AB ? ['gateway', 'gateway-b'] : ['gateway'];
// the CPU names of a target's gateway and PostgreSQL (the direct rows report the first gateway's)
const gatewayOf = (target) => (target === 'gateway-b' ? 'gateway-b' : 'gateway');
const postgresOf = (target) => (target === 'gateway-b' ? 'postgres-b' : 'postgres');
const snapshot = () => proc.snapshot(PIDS);

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
const r2 = (v) => Math.round(v * 100) / 100;

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
  if (snap0 && !snap1) snap1 = snapshot(); // the last call ended just before the timer ran
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
    // CPU over the measured window only (the row's warm-up excluded)
    const d = proc.delta(snap0, snap1, opts.clkTck);
    const perCall = (name) => (d.cpu[name] && n > 0 ? r3(d.cpu[name].ms / n) : null);
    const gw = gatewayOf(targetName);
    const pg = postgresOf(targetName);
    out.cpuCores = d.cores;
    // the row's own gateway and PostgreSQL; in an A/B run the other (idle) pair counts as other
    out.rowCores = {
      gateway: d.cores[gw] ?? null,
      postgres: d.cores[pg] ?? null,
      other: AB ? r2((d.cores.other || 0) + (d.cores[gw === 'gateway' ? 'gateway-b' : 'gateway'] || 0)
        + (d.cores[pg === 'postgres' ? 'postgres-b' : 'postgres'] || 0)) : d.cores.other,
    };
    out.cpuMsPerCall = { gateway: perCall(gw), postgres: perCall(pg), upstream: perCall('upstream') };
    out.gatewayJitShare = d.cpu[gw] ? d.cpu[gw].jitShare : null;
    out.jitHigh = targetName !== 'direct' && out.gatewayJitShare !== null && out.gatewayJitShare > opts.jitFlag;
    out.window = d;
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
  const own = r.rowCores || {};
  const gw = r.target !== 'direct';
  console.log(
    `   ${f(run, 3)} ${r.mode.padEnd(6)} ${f(r.clients, 4)} ${r.target.padEnd(9)} ${f(r.calls, 8)} ${f(r.callsPerSecond, 9)} ` +
    `${f(r.p50Ms, 8)} ${f(r.p90Ms, 8)} ${f(r.p99Ms, 8)} ${f(r.ttfbP50Ms, 8)} ${f(r.errors, 6)} ` +
    `${f(r.cpuMsPerCall && gw ? r.cpuMsPerCall.gateway : null, 8)} ${f(gw ? r.gatewayJitShare : null, 5)}${r.jitHigh ? ' JIT!' : '     '}  ` +
    `${[own.gateway, own.postgres, c.upstream, c.driver, own.other].map((x) => (x === undefined || x === null ? '-' : x)).join(' ')}`
  );
  for (const s of r.errorSamples) console.log(`         error: ${s}`);
}

async function main() {
  const begin = performance.now();
  // Warm each mode's gateway path until the gateway's compiler share settles, then give the
  // upstream one chunk per mode (it is node: no compiler threads to watch).
  const warmClients = Math.min(8, Math.max(...opts.clients));
  for (const mode of opts.modes) {
    for (const t of [...GATEWAYS, 'direct']) {
      const samples = new Map();
      let calls = 0;
      let errors = 0;
      const chunk = async (secs) => {
        const w = await row(t, mode, warmClients, 0, secs, false);
        calls += w.calls;
        errors += w.errors;
        for (const [m, c] of w.samples) samples.set(m, (samples.get(m) || 0) + c);
      };
      const w = t !== 'direct'
        ? await proc.warmUntilSettled(chunk, { pids: PIDS, watch: [t], chunkS: opts.warmChunk, settle: opts.warmSettle,
          maxS: opts.warmMax, clkTck: opts.clkTck })
        : await (async () => {
          if (opts.warmMax === 0) return { seconds: 0, chunks: 0, settled: null, jitSharePerChunk: [] };
          const t0 = performance.now();
          await chunk(opts.warmChunk);
          return { seconds: r1((performance.now() - t0) / 1000), chunks: 1, settled: null, jitSharePerChunk: [] };
        })();
      const label = `${t} ${mode}`;
      console.log(`   warm-up    ${label.padEnd(16)} ${String(w.seconds).padStart(5)} s, ${w.chunks} chunk(s) at ${warmClients} connections, ` +
        `${calls} calls, ${errors} errors` + (t !== 'direct'
          ? `; ${t} compiler share per chunk: ${w.jitSharePerChunk.map((x) => x + '%').join(' ') || '-'} -> ${w.settled ? 'settled' : opts.warmMax === 0 ? 'skipped (warm-max 0)' : `NOT settled (cap ${opts.warmMax}s)`}`
          : ' (node upstream: one chunk)'));
      for (const [m, c] of samples) console.log(`         error: ${c} x ${m}`);
      console.log('WARM ' + JSON.stringify({ path: label, watched: t !== 'direct' ? t : null, calls, errors, ...w }));
    }
  }
  console.log(`   ${'run'.padStart(3)} ${'mode'.padEnd(6)} ${'conn'.padStart(4)} ${'target'.padEnd(9)} ${'calls'.padStart(8)} ${'calls/s'.padStart(9)} ` +
    `${'p50ms'.padStart(8)} ${'p90ms'.padStart(8)} ${'p99ms'.padStart(8)} ${'ttfb50'.padStart(8)} ${'errors'.padStart(6)} ${'gwms/call'.padStart(8)} ${'jit%'.padStart(5)}       cores: gw pg up driver other`);
  const rows = [];
  for (let run = 1; run <= opts.runs; run++) {
    // in an A/B run the second gateway's row comes right after the first's
    const order = run % 2 === 1 ? ['direct', ...GATEWAYS] : [...GATEWAYS].reverse().concat('direct');
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
  const ab = [];
  const range = (values) => {
    const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x));
    return v.length ? [r3(Math.min(...v)), r3(Math.max(...v))] : [null, null];
  };
  for (const mode of opts.modes) {
    for (const clients of opts.clients) {
      const rowOf = (run, target) => rows.find((r) => r.run === run && r.mode === mode && r.clients === clients && r.target === target);
      for (const target of GATEWAYS) {
        const pairs = [];
        for (let run = 1; run <= opts.runs; run++) {
          const d = rowOf(run, 'direct');
          const g = rowOf(run, target);
          if (d && g) pairs.push({ d, g });
        }
        const m = (fn) => r3(median(pairs.map(fn)));
        summary.push({
          target,
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
          gatewayCpuMsPerCallRange: range(pairs.map((p) => (p.g.cpuMsPerCall ? p.g.cpuMsPerCall.gateway : null))),
          gatewayJitShareMax: range(pairs.map((p) => p.g.gatewayJitShare))[1],
          jitHighRows: pairs.filter((p) => p.g.jitHigh).length,
          postgresCpuMsPerCall: m((p) => (p.g.cpuMsPerCall ? p.g.cpuMsPerCall.postgres : null)),
          gatewayTtfbP50Ms: mode === 'stream' ? m((p) => p.g.ttfbP50Ms) : null,
          directTtfbP50Ms: mode === 'stream' ? m((p) => p.d.ttfbP50Ms) : null,
          errors: pairs.reduce((a, p) => a + p.d.errors + p.g.errors, 0),
          maxOtherCores: r1(Math.max(...pairs.flatMap((p) => [p.d, p.g].map((r) => (r.rowCores ? r.rowCores.other : 0))))),
          gatewayUsageChunks: pairs.reduce((a, p) => a + p.g.usageChunks, 0),
        });
      }
      if (AB) {
        // gateway-b against the first gateway, run by run (their rows are back to back)
        const pairs = [];
        for (let run = 1; run <= opts.runs; run++) {
          const a = rowOf(run, 'gateway');
          const b = rowOf(run, 'gateway-b');
          if (a && b) pairs.push({ a, b });
        }
        const cpu = (r) => (r.cpuMsPerCall ? r.cpuMsPerCall.gateway : null);
        const stat = (values) => ({ median: r3(median(values)), range: range(values) });
        ab.push({
          mode,
          clients,
          runs: pairs.length,
          throughputBOverA: stat(pairs.map((p) => (p.a.callsPerSecond > 0 ? p.b.callsPerSecond / p.a.callsPerSecond : null))),
          cpuMsPerCallA: stat(pairs.map((p) => cpu(p.a))),
          cpuMsPerCallB: stat(pairs.map((p) => cpu(p.b))),
          cpuMsPerCallBMinusA: stat(pairs.map((p) => (cpu(p.a) === null || cpu(p.b) === null ? null : cpu(p.b) - cpu(p.a)))),
          p50MsBMinusA: stat(pairs.map((p) => (p.a.p50Ms === null || p.b.p50Ms === null ? null : p.b.p50Ms - p.a.p50Ms))),
          bFasterRuns: pairs.filter((p) => p.b.callsPerSecond > p.a.callsPerSecond).length,
        });
      }
    }
  }
  console.log('');
  console.log(`== Summary: median (runs min..max) over ${opts.runs} run(s), each gateway row against the direct row of its run`);
  console.log('   goals (issue 12), reported, never asserted: added p50 <= 0.3 ms at 1 connection; at 64 connections >= 35% of the');
  console.log('   direct throughput, streaming and not');
  for (const s of summary) {
    let goal = '';
    if (s.clients === 1) goal = s.addedP50Ms === null ? '' : s.addedP50Ms <= 0.3 ? '  [p50 goal met]' : '  [p50 goal NOT met]';
    if (s.clients === 64) goal = s.throughputRatio === null ? '' : s.throughputRatio >= 0.35 ? '  [throughput goal met]' : '  [throughput goal NOT met]';
    console.log(
      `   ${AB ? s.target.padEnd(10) : ''}${s.mode.padEnd(6)} ${String(s.clients).padStart(3)} conn: p50 ${s.gatewayP50Ms} vs ${s.directP50Ms} ms direct ` +
      `(added ${s.addedP50Ms} ms, runs ${s.addedP50MsRange.join('..')}), p99 ${s.gatewayP99Ms} vs ${s.directP99Ms} ms, ` +
      `${s.gatewayCallsPerSecond} vs ${s.directCallsPerSecond} calls/s (ratio ${s.throughputRatio}, runs ${s.throughputRatioRange.join('..')}), ` +
      `gateway CPU ${s.gatewayCpuMsPerCall} (${s.gatewayCpuMsPerCallRange.join('..')}) ms/call, postgres ${s.postgresCpuMsPerCall} ms/call, ` +
      `gateway compiler share max ${s.gatewayJitShareMax}%, errors ${s.errors}` + (s.jitHighRows ? `, JIT! rows ${s.jitHighRows}` : '') + goal
    );
  }
  if (AB) {
    console.log('== A/B: gateway-b against the first gateway, run by run (the two rows of a run are back to back), median (runs min..max)');
    const fmt = (st) => `${st.median} (${st.range.join('..')})`;
    for (const x of ab) {
      console.log(
        `   ${x.mode.padEnd(6)} ${String(x.clients).padStart(3)} conn: b/a throughput ${fmt(x.throughputBOverA)}; ` +
        `gateway CPU/call a ${fmt(x.cpuMsPerCallA)} ms, b ${fmt(x.cpuMsPerCallB)} ms, b-a ${fmt(x.cpuMsPerCallBMinusA)} ms; ` +
        `p50 b-a ${fmt(x.p50MsBMinusA)} ms; b faster in ${x.bFasterRuns} of ${x.runs} runs`
      );
    }
  }
  const u = process.cpuUsage();
  console.log('SUMMARY ' + JSON.stringify({ rows: summary, ...(AB ? { ab } : {}), wallSeconds: Math.round((performance.now() - begin) / 1000),
    driverCpuSeconds: Math.round((u.user + u.system) / 1e5) / 10 }));
}

main().catch((e) => {
  console.error('llm-load.js failed:', e);
  process.exit(1);
});
