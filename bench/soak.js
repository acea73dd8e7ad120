#!/usr/bin/env node
// Gatehouse soak driver. Plain Node (>= 18), no dependencies.
//
// Runs exactly --tasks 3-step pipeline tasks (bench.a -> bench.b -> bench.c, as load.js) with
// --clients concurrent clients, and reports throughput per block of --block tasks (by completion
// order). After every --pause-every blocks it stops submitting, waits for the clients to drain,
// and runs the command given by --on-pause (bench/soak uses it to read the heap after a full GC),
// so that reading does not count against a block.
//
// Usage: node soak.js --url URL --key KEY [--tasks 20000] [--clients 16] [--block 2000]
//                     [--pause-every 2] [--on-pause 'shell command']
// Prints one line per block, `BLOCK {json}`, and `RESULT {json}`. Exit 0 even with errors.
'use strict';
const http = require('http');
const { execSync } = require('child_process');
const { performance } = require('perf_hooks');

const o = { url: 'http://127.0.0.1:8080', key: process.env.GATEHOUSE_DEV_KEY, tasks: 20000, clients: 16, block: 2000, 'pause-every': 2, 'on-pause': '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  if (!argv[i].startsWith('--') || i + 1 >= argv.length) { console.error(`soak.js: bad argument ${argv[i]}`); process.exit(2); }
  o[argv[i].slice(2)] = argv[i + 1];
}
const TASKS = Number(o.tasks), CLIENTS = Number(o.clients), BLOCK = Number(o.block), PAUSE_EVERY = Number(o['pause-every']);
if (!o.key || !(TASKS >= 1 && TASKS <= 1e6) || !(CLIENTS >= 1 && CLIENTS <= 1000) || !(BLOCK >= 1) || !(PAUSE_EVERY >= 0)) {
  console.error('usage: node soak.js --url URL --key KEY [--tasks N] [--clients N] [--block N] [--pause-every N] [--on-pause CMD]');
  process.exit(2);
}
const base = new URL(o.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) { console.error('soak.js: loopback only'); process.exit(2); }
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS, maxFreeSockets: CLIENTS });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${o.key}`, Accept: 'application/json' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = Buffer.byteLength(body); }
    const req = http.request({ host: base.hostname, port: base.port || 80, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(45_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function runTask() {
  const x = Math.floor(Math.random() * 1000);
  const t0 = performance.now();
  const post = await request('POST', '/v1/tasks', JSON.stringify({
    workflow: 'pipeline', input: { x },
    pipeline: { steps: [
      { id: 's1', tool: 'bench.a', args: { x: '${input.x}' } },
      { id: 's2', tool: 'bench.b', args: { v: '${steps.s1.output.v}' }, dependsOn: ['s1'] },
      { id: 's3', tool: 'bench.c', args: { v: '${steps.s2.output.v}' }, dependsOn: ['s2'] },
    ] },
  }));
  if (post.status !== 202) throw new Error(`POST ${post.status}: ${post.body.slice(0, 200)}`);
  const id = JSON.parse(post.body).id;
  for (;;) {
    const get = await request('GET', `/v1/tasks/${encodeURIComponent(id)}?wait=30s`);
    if (get.status !== 200) throw new Error(`GET ${get.status}: ${get.body.slice(0, 200)}`);
    const task = JSON.parse(get.body);
    if (task.status === 'RUNNING') continue;
    if (task.status !== 'COMPLETED') throw new Error(`task ended ${task.status}`);
    if (!task.result || !task.result.s3 || task.result.s3.v !== (2 * x + 1) * 3) throw new Error('wrong result');
    return performance.now() - t0;
  }
}

const pct = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : null);
const r1 = (v) => (v === null ? null : Math.round(v * 10) / 10);

(async () => {
  const blocks = [];
  let started = 0, errors = 0, firstError = null;
  const totalBlocks = Math.ceil(TASKS / BLOCK);
  for (let b = 0; b < totalBlocks; b++) {
    const n = Math.min(BLOCK, TASKS - b * BLOCK);
    const lat = [];
    let next = 0, blockErrors = 0;
    const t0 = performance.now();
    const client = async () => {
      while (next < n) {
        next++;
        try { lat.push(await runTask()); } catch (e) { blockErrors++; if (!firstError) firstError = String(e.message || e); }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CLIENTS, n) }, client));
    const secs = (performance.now() - t0) / 1000;
    started += n; errors += blockErrors;
    lat.sort((a, c) => a - c);
    const rec = { block: b + 1, tasks_done: started, tasks: n, errors: blockErrors, seconds: r1(secs), tasks_per_s: r1(n / secs), p50_ms: r1(pct(lat, 50)), p99_ms: r1(pct(lat, 99)) };
    blocks.push(rec);
    console.log('BLOCK ' + JSON.stringify(rec));
    if (o['on-pause'] && PAUSE_EVERY > 0 && ((b + 1) % PAUSE_EVERY === 0 || b === 0 || b + 1 === totalBlocks)) {
      try { process.stdout.write(execSync(o['on-pause'], { encoding: 'utf8', env: { ...process.env, SOAK_TASKS_DONE: String(started) } })); } catch (e) { console.log(`on-pause failed: ${e.message}`); }
    }
  }
  const first = blocks[0], last = blocks[blocks.length - 1];
  const result = { tasks: started, clients: CLIENTS, block: BLOCK, errors, first_error: firstError,
    first_block_tasks_per_s: first.tasks_per_s, last_block_tasks_per_s: last.tasks_per_s,
    last_vs_first: first.tasks_per_s ? r1((100 * last.tasks_per_s) / first.tasks_per_s) / 100 : null, blocks };
  console.log('RESULT ' + JSON.stringify(result));
})();
