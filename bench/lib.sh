# shellcheck shell=bash
# Shared parts of bench/bench, bench/mcp-bench and bench/llm-bench (sourced, not run). Set BL_NAME
# (the script's name, for messages) and RESULTS (the results.jsonl file) before sourcing.
#
#  - process helpers: run_bg, stop_pid, now_ms, port_busy, bl_uint (env knob checks);
#  - the machine header: cores, CPU, memory, java/node versions, git commit, load average, and the
#    JVM flags of each JVM the bench starts (bl_header, bl_jvm), written to the output and to
#    results.jsonl;
#  - CPU accounting from /proc: a process's utime+stime and the part of it spent by its JIT
#    compiler threads (those whose comm starts with "C1 CompilerThre" or "C2 CompilerThre"), so
#    each row can say which share of a JVM's CPU went to compiling (bl_snapshot, bl_delta_json);
#  - the warm-up rule: untimed chunks of load on a path until the compiler share of the JVM that
#    serves it drops below a threshold, or a cap is reached (bl_warm);
#  - the A/B mode's second gateway: whether it is on, its jar, launcher and options (bl_ab_setup,
#    bl_ab_header).
# The node drivers (bench/load.js, bench/llm-load.js) apply the same rules through bench/proc.js.

BL_NAME="${BL_NAME:-bench}"
BG_PID="${BG_PID:-}"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
bl_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
bl_die() { echo "$BL_NAME: $*" >&2; exit 1; }

# The JVM flags Gatehouse's server and worker run with: SERVER_JVM_OPTS of the ./gatehouse launcher
# (the image sets the same). bench, mcp-bench and llm-bench give them to their gateway when
# JAVA_OPTS is unset; JAVA_OPTS="" runs it on the JVM's defaults.
BL_SERVER_JVM_OPTS="$(sed -n 's/^SERVER_JVM_OPTS="\(.*\)"$/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../gatehouse")"
[[ -n "$BL_SERVER_JVM_OPTS" ]] || bl_die "no SERVER_JVM_OPTS line in the ./gatehouse launcher"

# Each named variable must hold a whole number.
bl_uint() {
  local v
  for v in "$@"; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$BL_NAME: $v must be a whole number (got '${!v}')" >&2; exit 2; }
  done
}

# Runs a command in the background and waits for it, so TERM/INT is handled at once and cleanup can
# stop the command (bash defers traps while a foreground command runs).
run_bg() {
  local rc=0
  "$@" &
  BG_PID=$!
  wait "$BG_PID" || rc=$?
  BG_PID=""
  return "$rc"
}

stop_pid() { # pid, seconds to wait after TERM before KILL
  local pid="$1" wait="$2" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "$BL_NAME: pid $pid did not stop in ${wait}s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

# Stops the embedded PostgreSQL of a dev data directory if it is still running (the JVM stops it
# on a clean exit; this is for a JVM that had to be killed). Found by the pid file in that
# directory and only if its command line names the directory.
stop_dev_postgres() {
  local data="$1" pm pgpid
  pm="$data/postgres/postmaster.pid"
  [[ -f "$pm" ]] || return 0
  pgpid="$(head -n1 "$pm" 2>/dev/null || true)"
  if [[ "$pgpid" =~ ^[0-9]+$ ]] && kill -0 "$pgpid" 2>/dev/null && grep -q -- "$data" "/proc/$pgpid/cmdline" 2>/dev/null; then
    stop_pid "$pgpid" 10
  fi
}

# The postmaster of a dev data directory and its children (for CPU sums), or nothing.
pg_pids() {
  local data="$1" pgpid
  pgpid="$(head -n1 "$data/postgres/postmaster.pid" 2>/dev/null || true)"
  [[ "$pgpid" =~ ^[0-9]+$ ]] || return 0
  # shellcheck disable=SC2046  # one word per pid
  echo "$pgpid" $(pgrep -P "$pgpid" 2>/dev/null || true)
}

# --- the warm-up and compiler-share knobs, shared by the three scripts ------------------------
BL_WARM_CHUNK="${BENCH_WARM_CHUNK:-5}"   # seconds of untimed load per warm-up chunk
BL_WARM_SETTLE="${BENCH_WARM_SETTLE:-5}" # a path is warm after a chunk where the compiler share is below this (%)
BL_WARM_MAX="${BENCH_WARM_MAX:-90}"      # ... or after this many seconds of warm-up on the path
BL_JIT_FLAG="${BENCH_JIT_FLAG:-10}"      # a timed row whose gateway compiler share is above this (%) is flagged
BL_RUNS="${BENCH_RUNS:-3}"               # repetitions of the timed matrix
# Seconds every path stays idle before the untimed pass: longer than the 30 s after which the
# upstream's Jetty closes an idle connection (and Gatehouse's and the bare relay's pools close theirs,
# UpstreamConnections, checking every 30 s), so the pass starts by connecting again. The first such reconnect after compilation deoptimized the
# whole upstream exchange (a branch the compiled code had never taken) and recompiled it: 15% of
# the gateway's CPU in the one timed row that met it, run 3's gateway row, whose path had then been
# idle about 36 s (two invocations of mcp-bench on 2026-12-04). 0 skips the gap.
BL_IDLE_GAP="${BENCH_IDLE_GAP:-35}"
if [[ -n "${BENCH_WARMUP:-}" ]]; then
  echo "$BL_NAME: BENCH_WARMUP is gone: each path is now warmed until compilation settles (BENCH_WARM_CHUNK," \
    "BENCH_WARM_SETTLE, BENCH_WARM_MAX) and each row has BENCH_ROW_WARMUP seconds; see docs/benchmarks.md" >&2
  exit 2
fi
bl_uint BL_WARM_CHUNK BL_WARM_SETTLE BL_WARM_MAX BL_JIT_FLAG BL_RUNS BL_IDLE_GAP
(( BL_WARM_CHUNK >= 1 && BL_WARM_CHUNK <= 60 && BL_WARM_SETTLE <= 100 && BL_WARM_MAX <= 900 && BL_JIT_FLAG <= 100 \
   && BL_RUNS >= 1 && BL_RUNS <= 20 && BL_IDLE_GAP <= 300 )) \
  || { echo "$BL_NAME: out of bounds (1<=BENCH_WARM_CHUNK<=60, BENCH_WARM_SETTLE<=100, BENCH_WARM_MAX<=900, BENCH_JIT_FLAG<=100, 1<=BENCH_RUNS<=20, BENCH_IDLE_GAP<=300)" >&2; exit 2; }

# bl_idle_gap: the idle gap before the untimed pass (BENCH_IDLE_GAP), said in the output.
bl_idle_gap() {
  (( BL_IDLE_GAP > 0 )) || return 0
  sleep "$BL_IDLE_GAP"
  echo "   warm-up    then ${BL_IDLE_GAP} s idle, so the untimed pass starts by reconnecting to the upstream as a row after a long gap does"
}

CLK_TCK="$(getconf CLK_TCK)"

# --- machine header ---------------------------------------------------------------------------
# bl_header TITLE: prints the machine lines and appends {kind: "machine", ...} to $RESULTS. Sets
# BL_COMMIT, BL_T_BEGIN.
bl_header() {
  local title="$1" nproc mem cpu java node
  nproc="$(nproc)"
  mem="$(free -g | awk '/^Mem:/ {print $2}')"
  cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"
  java="$("${JAVA:-java}" -version 2>&1 | sed -n 2p)"
  node="$(node --version 2>/dev/null || echo none)"
  BL_COMMIT="$(git -C "${REPO:-.}" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if ! git -C "${REPO:-.}" diff --quiet HEAD 2>/dev/null; then BL_COMMIT="$BL_COMMIT+changes"; fi
  BL_T_BEGIN="$(now_ms)"
  echo "== $title  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "   commit     $BL_COMMIT"
  echo "   machine    $nproc cores (${cpu:-unknown CPU}), $mem GiB (free -g)"
  echo "   runtimes   ${java:-java ?}; node $node; JAVA_OPTS ${JAVA_OPTS:-(none)}"
  echo "   loadavg    $(bl_loadavg) before (other work on the machine skews every figure; see the 'other' cores column)"
  echo "   warm-up    each path: ${BL_WARM_CHUNK}s chunks until its compiler share < ${BL_WARM_SETTLE}% (at most ${BL_WARM_MAX}s);" \
    "timed rows flagged JIT! when the serving JVM's compiler share > ${BL_JIT_FLAG}%"
  jq -cn --arg nproc "$nproc" --arg mem "$mem" --arg cpu "$cpu" --arg java "$java" --arg node "$node" \
    --arg opts "${JAVA_OPTS:-}" --arg load "$(bl_loadavg)" --arg commit "$BL_COMMIT" --arg title "$title" \
    --argjson chunk "$BL_WARM_CHUNK" --argjson settle "$BL_WARM_SETTLE" --argjson max "$BL_WARM_MAX" \
    --argjson flag "$BL_JIT_FLAG" --argjson runs "$BL_RUNS" \
    '{kind: "machine", bench: $title, date: (now | todate), commit: $commit, nproc: ($nproc | tonumber), cpu: $cpu,
      memGiB: ($mem | tonumber), java: $java, node: $node, javaOpts: $opts, loadavgBefore: $load, runs: $runs,
      warmup: {chunkS: $chunk, settlePercent: $settle, maxS: $max}, jitFlagPercent: $flag}' >> "$RESULTS"
}

# bl_jvm NAME PID [LOG]: prints and records the flags a running JVM ended up with (jcmd VM.flags,
# else its command line); with a gateway's LOG, also the threads its HTTP requests run on, from
# its start line (requestThreads: virtual on Java 24 or later unless told otherwise).
bl_jvm() {
  local name="$1" pid="$2" log="${3:-}" flags="" threads=""
  if command -v jcmd >/dev/null 2>&1; then flags="$(jcmd "$pid" VM.flags 2>/dev/null | sed -n 2p || true)"; fi
  [[ -n "$flags" ]] || flags="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
  printf '   %-10s pid %s, %s\n' "$name" "$pid" "${flags:-(unknown flags)}"
  if [[ -n "$log" ]]; then
    threads="$(grep -o -m1 'HTTP requests run on [a-z]* threads ([^)]*)' "$log" 2>/dev/null | sed 's/^HTTP requests run on //' || true)"
    printf '   %-10s requests on %s\n' "$name" "${threads:-(not in its log)}"
  fi
  jq -cn --arg name "$name" --arg pid "$pid" --arg flags "$flags" --arg threads "$threads" \
    '{kind: "jvm", name: $name, pid: ($pid | tonumber), flags: $flags} + (if $threads == "" then {} else {requestThreads: $threads} end)' >> "$RESULTS"
}

bl_footer() {
  echo "   loadavg    $(bl_loadavg) at the end; whole run $(( ($(now_ms) - BL_T_BEGIN) / 1000 )) s"
  jq -cn --arg load "$(bl_loadavg)" --argjson s "$(( ($(now_ms) - BL_T_BEGIN) / 1000 ))" \
    '{kind: "end", loadavgAfter: $load, wallS: $s}' >> "$RESULTS"
}

# --- CPU from /proc ---------------------------------------------------------------------------
# bl_proc_ticks PID: "total jit" ticks of a process: utime+stime of the whole process, and of its
# threads named C1/C2 CompilerThre(ad). "0 0" for a missing pid. (A compiler thread that the JVM
# retires between two snapshots takes its ticks with it, so the share can be a little low.)
bl_proc_ticks() {
  local pid="$1" total jit
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || { echo "0 0"; return; }
  total="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}' || true)"
  # cat, not awk on the glob: a thread that ends between the glob and the read must not lose the rest
  jit="$({ cat /proc/"$pid"/task/*/stat 2>/dev/null || true; } \
    | awk '{ line = $0; name = line; sub(/^[0-9]+ \(/, "", name); sub(/\) [^)]*$/, "", name);
             if (name ~ /^C[12] CompilerThre/) { sub(/^.*\) /, "", line); split(line, f, " "); t += f[12] + f[13] } }
           END { print t + 0 }' || echo 0)"
  echo "${total:-0} ${jit:-0}"
}

# bl_snapshot NAME=PID...: one line "at_ms busy NAME PID total jit NAME PID total jit ...". A
# NAME=PID list "pg=1 2 3" is not supported: pass a name per pid; names repeat-summed by bl_delta_json.
bl_snapshot() {
  local out a
  out="$(now_ms) $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat)"
  for a in "$@"; do out="$out ${a%%=*} ${a#*=} $(bl_proc_ticks "${a#*=}")"; done
  echo "$out"
}

# bl_delta_json SNAP0 SNAP1: {wallMs, cores: {busy, NAME...}, cpu: {NAME: {ms, jitMs, jitShare}}}
# over the two snapshots; jitShare is a percentage. Each process counts what it used between the
# snapshots (one that started between them, all it used; one that ended between them, nothing, as
# its last ticks are gone with it: PostgreSQL's backends come and go), and the processes of one
# name are summed.
bl_delta_json() {
  jq -cn --arg a "$1" --arg b "$2" --argjson hz "$CLK_TCK" '
    def parse: split(" ") | {at: (.[0] | tonumber), busy: (.[1] | tonumber),
      procs: ([.[2:] | _nwise(4)] | map({name: .[0], pid: .[1], total: (.[2] | tonumber), jit: (.[3] | tonumber)}))};
    ($a | parse) as $x | ($b | parse) as $y
    | ($x.procs | map({key: "\(.name)@\(.pid)", value: .}) | from_entries) as $before
    # per process: ticks since the first snapshot (never below 0: a pid gone by the second reads as 0)
    | ($y.procs | map(. as $p | ($before["\($p.name)@\($p.pid)"] // {total: 0, jit: 0}) as $b
        | {name: $p.name, total: ([0, $p.total - $b.total] | max), jit: ([0, $p.jit - $b.jit] | max)})
       | group_by(.name) | map({key: .[0].name, value: {total: (map(.total) | add), jit: (map(.jit) | add)}}) | from_entries) as $d
    | (($y.at - $x.at) | if . < 1 then 1 else . end) as $w
    | def ms(t): (t / $hz * 1000 | round);
      def cores(t): ((t / $hz) / ($w / 1000) * 100 | round) / 100;
    {wallMs: $w,
     cores: ({busy: cores($y.busy - $x.busy)} + ($d | with_entries(.value = cores(.value.total)))),
     cpu: ($d | with_entries(
       .value.total as $t
       # a compiler thread retired in the window takes its ticks along: clamp to 0..total
       | ([.value.jit, $t] | min) as $j
       | .value = {ms: ms($t), jitMs: ms($j), jitShare: (if $t > 0 then ($j / $t * 1000 | round) / 10 else 0 end)}))}'
}

# --- the warm-up rule -------------------------------------------------------------------------
# bl_warm LABEL WATCH CHUNK_FN [NAME=PID...]: runs CHUNK_FN SECONDS (untimed load on one path)
# repeatedly until the compiler share of each JVM in WATCH (NAMEs of the NAME=PIDs, comma-separated)
# in a chunk is below BENCH_WARM_SETTLE %, or BENCH_WARM_MAX seconds have passed. Prints a line, appends
# {kind: "warm", ...} to $RESULTS. With BENCH_WARM_MAX=0 the path gets no warm-up.
bl_warm() {
  local label="$1" watch="$2" fn="$3" s0 s1 d share chunks=0 t0 shares="" settled=false
  shift 3
  t0="$(now_ms)"
  while (( BL_WARM_MAX > 0 && $(now_ms) - t0 < BL_WARM_MAX * 1000 )); do
    s0="$(bl_snapshot "$@")"
    "$fn" "$BL_WARM_CHUNK"
    s1="$(bl_snapshot "$@")"
    d="$(bl_delta_json "$s0" "$s1")"
    share="$(jq -r --arg w "$watch" '[$w | split(",")[] as $n | $d.cpu[$n].jitShare // 0] | max' --argjson d "$d" -n)"
    chunks=$(( chunks + 1 ))
    shares="$shares${shares:+ }$share"
    if awk -v s="$share" -v t="$BL_WARM_SETTLE" 'BEGIN {exit !(s < t)}'; then settled=true; break; fi
  done
  local secs=$(( ($(now_ms) - t0) / 1000 ))
  printf '   warm-up    %-28s %3s s, %2s chunk(s), compiler share of %s per chunk: %s -> %s\n' "$label" "$secs" "$chunks" "$watch" \
    "${shares:+${shares// /% }%}" "$(if [[ "$settled" == true ]]; then echo settled; elif (( BL_WARM_MAX == 0 )); then echo "skipped (BENCH_WARM_MAX=0)"; else echo "NOT settled (cap ${BL_WARM_MAX}s)"; fi)"
  jq -cn --arg path "$label" --arg watch "$watch" --arg shares "$shares" --argjson secs "$secs" --argjson chunks "$chunks" \
    --argjson settled "$settled" \
    '{kind: "warm", path: $path, watched: $watch, seconds: $secs, chunks: $chunks, settled: $settled,
      jitSharePerChunk: ($shares | split(" ") | map(select(. != "") | tonumber))}' >> "$RESULTS"
}

# --- A/B: a second gateway beside the first (mcp-bench, llm-bench) ---------------------------
# Any of BENCH_B_JAR / BENCH_B_JAVA / BENCH_B_OPTS / BENCH_B_CONFIG turns it on; the first three
# default to the first gateway's GATEHOUSE_JAR / JAVA / JAVA_OPTS. BENCH_B_CONFIG is a configuration
# file for the second gateway's `dev` command (as `gatehouse dev FILE`) instead of dev mode's own.
BL_AB=0
if [[ -n "${BENCH_B_JAR:-}${BENCH_B_JAVA:-}${BENCH_B_OPTS:-}${BENCH_B_CONFIG:-}" ]]; then BL_AB=1; fi

# bl_ab_setup FIRST_JAR: sets B_JAR, B_JAVA, B_OPTS and B_CONFIG (empty: dev mode's own). In an A/B
# run B_JAR and B_CONFIG are copies in $OUT, so a rebuild or an edit while the bench runs cannot
# change what the second gateway reads.
bl_ab_setup() {
  B_JAR="${BENCH_B_JAR:-$1}"
  B_JAVA="${BENCH_B_JAVA:-${JAVA:-java}}"
  B_OPTS="${BENCH_B_OPTS:-${JAVA_OPTS:-}}"
  B_CONFIG=""
  (( BL_AB )) || return 0
  [[ -f "$B_JAR" ]] || bl_die "no jar at $B_JAR (BENCH_B_JAR)"
  cp "$B_JAR" "$OUT/gateway-b.jar"
  B_JAR="$OUT/gateway-b.jar"
  if [[ -n "${BENCH_B_CONFIG:-}" ]]; then
    [[ -f "$BENCH_B_CONFIG" ]] || bl_die "no configuration file at $BENCH_B_CONFIG (BENCH_B_CONFIG)"
    cp "$BENCH_B_CONFIG" "$OUT/gateway-b.yml"
    B_CONFIG="$OUT/gateway-b.yml"
  fi
}

# bl_ab_header FIRST_JAR PORTS: in an A/B run, prints the second gateway's line and appends
# {kind: "gateway-b", ...} to $RESULTS.
bl_ab_header() {
  (( BL_AB )) || return 0
  local source="${BENCH_B_JAR:-$1}" opts="$B_OPTS"
  [[ -n "${opts// /}" ]] || opts="(no JAVA_OPTS)"
  echo "   gateway-b  $B_JAVA $opts -jar $B_JAR (copy of $source); ports $2"
  if [[ -n "$B_CONFIG" ]]; then echo "   gateway-b  dev $B_CONFIG (copy of $BENCH_B_CONFIG) instead of dev mode's own configuration"; fi
  jq -cn --arg jar "$source" --arg java "$B_JAVA" --arg opts "$B_OPTS" --arg version "$("$B_JAVA" -version 2>&1 | sed -n 2p)" \
    --arg config "${BENCH_B_CONFIG:-}" \
    '{kind: "gateway-b", jar: $jar, java: $java, runtime: $version, javaOpts: $opts,
      config: (if $config == "" then null else $config end)}' >> "$RESULTS"
}

# --- summaries --------------------------------------------------------------------------------
# jq definitions for the summaries: med/lo/hi of a list of numbers (nulls dropped), and stat(xs) as
# {median, min, max, n}.
# shellcheck disable=SC2034,SC2016  # used by the scripts; jq, not shell, expressions
BL_JQ_STATS='
  def nums: map(select(. != null and (type == "number")));
  def med: nums | sort | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def r3: if . == null then null else (. * 1000 | round) / 1000 end;
  def stat: nums as $v | {median: ($v | med | r3), min: ($v | min | r3), max: ($v | max | r3), n: ($v | length)};
  def fmt: if .median == null then "-" elif .n > 1 then "\(.median) (\(.min)..\(.max))" else "\(.median)" end;
'
