// CPU accounting from /proc for the node load drivers (bench/load.js, bench/llm-load.js): the same
// rules as bench/lib.sh applies for bench/mcp-bench. A process's CPU is utime+stime of
// /proc/PID/stat; the part of it its JIT compilers spent is the sum over /proc/PID/task/*/stat of
// the threads whose name starts with "C1 CompilerThre" or "C2 CompilerThre" (HotSpot's compiler
// threads, as /proc shows their names). A compiler thread the JVM retires between two snapshots
// takes its ticks along, so a share can come out a little low; it is clamped to 0..100%.
'use strict';
const fs = require('fs');
const { performance } = require('perf_hooks');

const COMPILER = /^C[12] CompilerThre/;

function statFields(text) {
  // after "pid (comm) ": field 0 is the state, 11 utime, 12 stime
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function ticksOf(pid) {
  let total = 0;
  let jit = 0;
  try {
    const f = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    total = Number(f[11]) + Number(f[12]);
  } catch (e) {
    return { total: 0, jit: 0 };
  }
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch (e) {
    // gone
  }
  for (const tid of tids) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      if (!COMPILER.test(name)) continue;
      const f = statFields(s);
      jit += Number(f[11]) + Number(f[12]);
    } catch (e) {
      // the thread ended
    }
  }
  return { total, jit };
}

function childrenOf(parent) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(statFields(s)[1]) === parent) out.push(Number(name));
    } catch (e) {
      // gone
    }
  }
  return out;
}

function busyTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  // user nice system irq softirq (as bench/lib.sh counts busy)
  return Number(line[1]) + Number(line[2]) + Number(line[3]) + Number(line[6]) + Number(line[7]);
}

/**
 * pids: {name: pid or null}; a name starting with "postgres" is a postmaster, summed with its children.
 * Also records this driver's own CPU (process.cpuUsage) as "driver".
 */
function snapshot(pids) {
  const procs = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid) continue;
    if (name.startsWith('postgres')) {
      procs[name] = { total: [pid, ...childrenOf(pid)].reduce((t, p) => t + ticksOf(p).total, 0), jit: 0 };
    } else {
      procs[name] = ticksOf(pid);
    }
  }
  const u = process.cpuUsage();
  let loadavg = null;
  try {
    loadavg = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch (e) {
    // not Linux
  }
  return { at: performance.now(), busy: busyTicks(), procs, driverMs: (u.user + u.system) / 1000, loadavg };
}

const r2 = (v) => Math.round(v * 100) / 100;

/**
 * {wallMs, loadavgBefore, loadavgAfter, cores: {busy, NAME..., driver, other}, cpu: {NAME: {ms, jitMs, jitShare}}}
 * between two snapshots.
 */
function delta(a, b, clkTck) {
  const wallMs = Math.max(1, b.at - a.at);
  const cores = (ticks) => r2(ticks / clkTck / (wallMs / 1000));
  const out = { wallMs: Math.round(wallMs), loadavgBefore: a.loadavg, loadavgAfter: b.loadavg, cores: { busy: cores(b.busy - a.busy) }, cpu: {} };
  let known = 0;
  for (const [name, p] of Object.entries(b.procs)) {
    const p0 = a.procs[name] || { total: 0, jit: 0 };
    const t = p.total - p0.total;
    const j = Math.max(0, Math.min(t, p.jit - p0.jit));
    known += t;
    out.cores[name] = cores(t);
    out.cpu[name] = {
      ms: Math.round((t / clkTck) * 1000),
      jitMs: Math.round((j / clkTck) * 1000),
      jitShare: t > 0 ? Math.round((j / t) * 1000) / 10 : 0,
    };
  }
  const driverTicks = ((b.driverMs - a.driverMs) / 1000) * clkTck;
  out.cores.driver = cores(driverTicks);
  out.cpu.driver = { ms: Math.round(b.driverMs - a.driverMs), jitMs: null, jitShare: null };
  out.cores.other = Math.max(0, r2(out.cores.busy - cores(known + driverTicks)));
  return out;
}

/**
 * The warm-up rule: runs chunk(seconds) (untimed load on one path) until the compiler share of
 * each process named in watch is below settle % in a chunk, or maxS seconds have passed.
 * Returns {seconds, chunks, settled, jitSharePerChunk}.
 */
async function warmUntilSettled(chunk, { pids, watch, chunkS, settle, maxS, clkTck }) {
  const t0 = performance.now();
  const shares = [];
  let settled = false;
  while (maxS > 0 && performance.now() - t0 < maxS * 1000) {
    const a = snapshot(pids);
    await chunk(chunkS);
    const d = delta(a, snapshot(pids), clkTck);
    const share = Math.max(...watch.map((n) => (d.cpu[n] ? d.cpu[n].jitShare : 0)));
    shares.push(share);
    if (share < settle) {
      settled = true;
      break;
    }
  }
  return { seconds: Math.round((performance.now() - t0) / 100) / 10, chunks: shares.length, settled, jitSharePerChunk: shares };
}

module.exports = { ticksOf, snapshot, delta, warmUntilSettled };
