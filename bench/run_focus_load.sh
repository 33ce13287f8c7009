#!/usr/bin/env bash
# The issue 6 focus benchmark: joins per second that one parley-as sustains against one
# parley-ms. sipp callers (bench/focus_load/uac.xml) dial the rooms of a rooms file at a
# rising rate, one sipp process per step (rate R for SECONDS_PER_STEP seconds, bounded
# with -m), each call held HOLD_SECONDS and then ended with BYE. Per step: calls
# attempted, 200s, failures (non-200 status codes), INVITE-to-200 p50/p99/max (every
# sample, sipp -trace_rtt), "joined room" lines in the AS log, concurrent calls (parley-ms
# media legs), CPU of parley-as, parley-ms and sipp (/proc/PID/stat deltas) and the load
# average. Results: docs/benchmarks.md, "Focus: joins per second (issue 6)".
#
#   bench/run_focus_load.sh [BUILD_DIR]         (default: build-bench; builds Release first)
#   STEPS=50,100,150,200,250,300 SECONDS_PER_STEP=20 HOLD_SECONDS=30 bench/run_focus_load.sh
#   SMOKE=1 bench/run_focus_load.sh             two short steps (20, 40/s for 5 s, held 5 s)
#   RT_PRIORITY=50      parley-as, parley-ms and sipp at SCHED_FIFO 50 (chrt -f), as
#                       run_mix_load.sh does; default 0 (normal scheduling)
#   DIRECTION=sendonly  the callers offer sendonly: parley-ms then sends no RTP to them
#                       (default sendrecv: every leg gets a silent mix, 50 packets/s)
#   AS_CPU=0 MS_CPU=1 SIPP_CPU=0 MEDIA_WORKERS=1 ROOMS=100 RTP_PORTS=20000-59999
#   MAX_CALLS=100000 (parley-as --max-calls)  AS_LOG_LEVEL=info (the joins are counted
#   from its info lines)  NO_BUILD=1  AS_BIN=... MS_BIN=...  WORK_DIR=... (default a new
#   /tmp/parley-focus-load.XXXXXX, kept: logs, sipp traces, timeline.csv, results.md)
#
# Every process is started by this script, pinned with taskset, and stopped by its PID
# (trap on exit). sipp has its own -timeout; every wait here has a deadline.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-bench}"
if [[ "${SMOKE:-0}" == 1 ]]; then
    steps="${STEPS:-20,40}"; seconds="${SECONDS_PER_STEP:-5}"; hold="${HOLD_SECONDS:-5}"
else
    steps="${STEPS:-50,100,150,200,250,300}"; seconds="${SECONDS_PER_STEP:-20}"
    hold="${HOLD_SECONDS:-30}"
fi
rooms="${ROOMS:-100}"
rt="${RT_PRIORITY:-0}"
as_cpu="${AS_CPU:-0}"
ms_cpu="${MS_CPU:-1}"
sipp_cpu="${SIPP_CPU:-0}"
direction="${DIRECTION:-sendrecv}"
media_workers="${MEDIA_WORKERS:-1}"
rtp_ports="${RTP_PORTS:-20000-59999}"
max_calls="${MAX_CALLS:-100000}"
as_log_level="${AS_LOG_LEVEL:-info}"
ms_log_level="${MS_LOG_LEVEL:-notice}"
p99_target_ms=50

IFS=',' read -r -a rates <<<"$steps"
nsteps=${#rates[@]}
for r in "${rates[@]}"; do
    [[ "$r" =~ ^[1-9][0-9]*$ ]] || { echo "STEPS must be rates separated by commas, not '$steps'" >&2; exit 2; }
done
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$hold" =~ ^[0-9]+$ ]] || {
    echo "SECONDS_PER_STEP and HOLD_SECONDS must be whole seconds" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp is not installed (apt-get install sip-tester)" >&2; exit 2; }

if [[ "${NO_BUILD:-0}" != 1 ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_BENCH=ON \
          -DPARLEY_SANITIZE=OFF -DPARLEY_TESTS=OFF >/dev/null
    cmake --build "$build" --target parley-as parley-ms -j2
fi
as_bin="${AS_BIN:-$build/bin/parley-as}"
ms_bin="${MS_BIN:-$build/bin/parley-ms}"

work="${WORK_DIR:-$(mktemp -d /tmp/parley-focus-load.XXXXXX)}"
mkdir -p "$work/media/prompts/en-US" "$work/recordings"

# Two sockets per parley-ms leg, one per parley-as media dialog: well past the default 1024.
ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)"
clk_tck=$(getconf CLK_TCK)

# ------------------------------------------------------------------ processes and cleanup
as_pid=""; ms_pid=""; sipp_pids=()

stop_pid() {  # stop_pid PID: SIGTERM, up to 10 s, then SIGKILL
    local pid="$1" i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local p
    for p in "${sipp_pids[@]}"; do stop_pid "$p"; done
    stop_pid "$as_pid"
    stop_pid "$ms_pid"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pinned CPU command...: taskset (and chrt -f when RT_PRIORITY > 0), exec'd in place so $!
# is the program's own PID.
pinned() {
    local cpu="$1"; shift
    if ((rt > 0)); then exec taskset -c "$cpu" chrt -f "$rt" "$@"; else exec taskset -c "$cpu" "$@"; fi
}

wait_line() {  # wait_line FILE REGEX SECONDS PID: the first match's port, or fail
    local file="$1" re="$2" secs="$3" pid="$4" i port
    for ((i = 0; i < secs * 10; i++)); do
        port=$(grep -o -m1 "$re 127\.0\.0\.1:[0-9]*" "$file" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)
        if [[ -n "$port" ]]; then echo "$port"; return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "no '$re' line in $file:" >&2
    tail -20 "$file" >&2
    return 1
}

ticks_of() {  # utime+stime of a process in clock ticks (empty when gone)
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    s="${s##*) }"
    # shellcheck disable=SC2086
    set -- $s
    echo $((${12} + ${13}))
}

rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || true; }

now_ns() { date +%s%N; }

# ---------------------------------------------------------------------------- set-up
{
    echo '{"rooms":['
    for ((i = 1; i <= rooms; i++)); do
        printf '{"name":"load%03d","displayName":"Load %d","maxParticipants":100000}%s\n' \
            "$i" "$i" "$([[ $i -lt $rooms ]] && echo ,)"
    done
    echo ']}'
} >"$work/rooms.json"
{
    echo SEQUENTIAL
    for ((i = 1; i <= rooms; i++)); do printf 'load%03d;%s\n' "$i" "$direction"; done
} >"$work/rooms.csv"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "steps ${steps} calls/s, ${seconds} s each, calls held ${hold} s, ${rooms} rooms," \
     "offer ${direction}; parley-as on CPU ${as_cpu}, parley-ms on CPU ${ms_cpu}" \
     "(${media_workers} media worker), sipp on CPU ${sipp_cpu}," \
     "$( ((rt > 0)) && echo "SCHED_FIFO $rt" || echo "normal scheduling"); work dir $work"

(pinned "$ms_cpu" "$ms_bin" --sip-listen 127.0.0.1:0 --cfw-listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --rtp-ports "$rtp_ports" --media-workers "$media_workers" \
    --media-root "$work/media" --record-dir "$work/recordings" --log-level "$ms_log_level") \
    >"$work/ms.log" 2>&1 &
ms_pid=$!
ms_http=$(wait_line "$work/ms.log" "HTTP listening on" 20 "$ms_pid")
ms_sip=$(wait_line "$work/ms.log" "SIP listening on" 1 "$ms_pid")

(pinned "$as_cpu" "$as_bin" --sip-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --ms "sip:ms@127.0.0.1:$ms_sip" --db "sqlite:$work/as.db" --rooms "$work/rooms.json" \
    --prompts "file://$work/media/prompts/en-US/" --max-calls "$max_calls" \
    --log-level "$as_log_level") >"$work/as.log" 2>&1 &
as_pid=$!
as_http=$(wait_line "$work/as.log" "HTTP listening on" 30 "$as_pid")
as_sip=$(wait_line "$work/as.log" "SIP listening on" 1 "$as_pid")

up=0
for ((i = 0; i < 200; i++)); do
    if curl -s -m 1 "http://127.0.0.1:$as_http/v1/media-servers" | grep -q '"state":"up"'; then
        up=1; break
    fi
    sleep 0.1
done
((up)) || { echo "parley-as never got its control channel to parley-ms up" >&2; tail -20 "$work/as.log" >&2; exit 1; }
echo "parley-ms pid $ms_pid (sip $ms_sip, http $ms_http), parley-as pid $as_pid (sip $as_sip, http $as_http)"

# ---------------------------------------------------------------------------- the run
ms_metric() {  # the named parley-ms metric, empty when unreadable
    awk -v m="parley_ms_$1" '$1 == m {printf "%.0f", $2}' <<<"$metrics"
}

declare -A sipp_last=()  # pid -> ticks at the previous reading
sipp_ticks=0             # ticks of all sipp processes so far
metrics=""

update_sipp_ticks() {
    local p t
    for p in "${sipp_pids[@]}"; do
        t=$(ticks_of "$p")
        [[ -n "$t" ]] || continue
        sipp_ticks=$((sipp_ticks + t - ${sipp_last[$p]:-0}))
        sipp_last[$p]=$t
    done
}

read_metrics() { metrics=$(curl -s -m 0.5 "http://127.0.0.1:$ms_http/metrics" || true); }

# Marks: the step boundaries (mark i = start of step i+1; mark nsteps = end of the last
# step), taken on time whatever the sampling costs. CPU shares divide by the real time
# between two marks; joins are counted by the AS log's own timestamps between them.
mark_ns=(); mark_wall=(); mark_as=(); mark_ms=(); mark_sipp=(); mark_legs=(); mark_load=()

mark() {
    update_sipp_ticks
    mark_ns+=("$(now_ns)")
    mark_wall+=("$(date '+%F %T.%3N')")
    mark_as+=("$(ticks_of "$as_pid")")
    mark_ms+=("$(ticks_of "$ms_pid")")
    mark_sipp+=("$sipp_ticks")
    mark_load+=("$(cut -d' ' -f1 /proc/loadavg)")
    read_metrics
    local legs
    legs=$(ms_metric media_legs)
    mark_legs+=("${legs:--}")
}

start_step() {
    local i="$1" rate="${rates[$1]}" dir="$work/step$(($1 + 1))"
    mkdir -p "$dir"
    cp "$root/bench/focus_load/uac.xml" "$dir/uac.xml"
    # Each sipp: its own SIP socket (-p 0), media port (sipp binds it and the one two above)
    # and control port; -timeout bounds it whatever happens.
    (cd "$dir" && pinned "$sipp_cpu" sipp -sf uac.xml -inf "$work/rooms.csv" \
        -i 127.0.0.1 -mi 127.0.0.1 -p 0 -mp $((16000 + 8 * i)) -cp $((18800 + i)) -t u1 \
        -r "$rate" -m $((rate * seconds)) -d $((hold * 1000)) -timer_resol 1 -nostdin \
        -trace_rtt -rtt_freq 1 -trace_err -error_file errors.log -trace_stat -fd 1 \
        -stf stat.csv -timeout $((seconds + hold + 60))s -timeout_error \
        "127.0.0.1:$as_sip") >"$dir/sipp.out" 2>&1 &
    sipp_pids+=($!)
}

sipp_alive() {
    local p
    for p in "${sipp_pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
}

timeline="$work/timeline.csv"
echo "t_s,as_ticks,ms_ticks,sipp_ticks,ms_legs,ms_joins,as_joins,as_leaves,sipp_current,load1,as_rss_mib,ms_rss_mib" >"$timeline"
peak_legs=0; peak_sipp=0

sample() {  # one line of the timeline
    local t cur=0 f legs joins counts
    update_sipp_ticks
    for f in "$work"/step*/stat.csv; do
        [[ -f "$f" ]] || continue
        t=$(tail -n1 "$f" | cut -d';' -f14)
        [[ "$t" =~ ^[0-9]+$ ]] && cur=$((cur + t))
    done
    read_metrics
    legs=$(ms_metric media_legs); joins=$(ms_metric mixer_joins)
    ((${legs:-0} > peak_legs)) && peak_legs=${legs:-0}
    ((cur > peak_sipp)) && peak_sipp=$cur
    counts="$(grep -cF ' joined room ' "$work/as.log" || true),$(grep -cF ' leaves room ' "$work/as.log" || true)"
    t=$(( ($(now_ns) - t0) / 1000000 ))
    echo "$((t / 1000)).$(printf '%03d' $((t % 1000))),$(ticks_of "$as_pid"),$(ticks_of "$ms_pid"),$sipp_ticks," \
         "${legs},${joins},$counts,$cur,$(cut -d' ' -f1 /proc/loadavg),$(rss_mib "$as_pid"),$(rss_mib "$ms_pid")" |
        tr -d ' ' >>"$timeline"
}

deadline_ns=$(( (nsteps * seconds + hold + 90) * 1000000000 ))
t0=$(now_ns)
next=0  # the next mark
while :; do
    el=$(($(now_ns) - t0))
    while ((next <= nsteps && el >= next * seconds * 1000000000)); do
        mark
        if ((next < nsteps)); then
            start_step "$next"
            echo "t=$((el / 1000000000))s: step $((next + 1)), ${rates[$next]} calls/s" \
                 "(media legs ${mark_legs[$next]}, load ${mark_load[$next]})"
        fi
        next=$((next + 1))
    done
    sample
    kill -0 "$as_pid" 2>/dev/null || { echo "parley-as exited during the run" >&2; tail -20 "$work/as.log" >&2; break; }
    kill -0 "$ms_pid" 2>/dev/null || { echo "parley-ms exited during the run" >&2; tail -20 "$work/ms.log" >&2; break; }
    if ((next > nsteps)) && ! sipp_alive; then break; fi
    if ((el >= deadline_ns)); then echo "sipp still running $((deadline_ns / 1000000000)) s after the start: stopping it" >&2; break; fi
    # Sleep to the next whole second of the run (a late sample skips ahead, no catching up).
    wait_ns=$(( (el / 1000000000 + 1) * 1000000000 + t0 - $(now_ns) ))
    ((wait_ns > 0)) && sleep "$(printf '%d.%09d' $((wait_ns / 1000000000)) $((wait_ns % 1000000000)))"
done
while ((next <= nsteps)); do mark; next=$((next + 1)); done  # a run cut short
for p in "${sipp_pids[@]}"; do stop_pid "$p"; done
sleep 2
sample
echo "run over after $(( ($(now_ns) - t0) / 1000000000 )) s; parley-ms media legs now $(tail -n1 "$timeline" | cut -d, -f5)"

# ---------------------------------------------------------------------------- results
col() {  # col FILE NAME: NAME's value on the last line of sipp's ';' stat file
    awk -F';' -v n="$2" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == n) c = i} END {if (c) print $c + 0; else print 0}' "$1"
}
pct() {  # pct FRACTION < sorted values
    awk -v p="$1" '{v[NR] = $1} END {if (!NR) {print "-"; exit} i = int(p * NR + 0.999999); if (i < 1) i = 1; print v[i]}'
}

cpu_share() {  # cpu_share TICKS0 TICKS1 NS0 NS1: share of one CPU between two marks
    if [[ -n "$1" && -n "$2" ]]; then
        awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" -v hz="$clk_tck" \
            'BEGIN {printf "%.0f %%", (b - a) * 100 / hz / ((t1 - t0) / 1e9)}'
    else
        echo -
    fi
}
# "joined room" lines of the AS log per step window, by the log's own timestamps.
mapfile -t step_joins < <(awk -v marks="$(IFS='|'; echo "${mark_wall[*]}")" '
    BEGIN {n = split(marks, m, "|")}
    / joined room / {t = $1 " " $2; for (i = 1; i < n; i++) if (t >= m[i] && t < m[i + 1]) {c[i]++; break}}
    END {for (i = 1; i < n; i++) print c[i] + 0}' "$work/as.log")

results="$work/results.md"
{
    echo "| step | offered calls/s | attempted | 200 | failed (codes) | sent at calls/s | INVITE-to-200 p50 / p99 / max | joins (AS log) in window | media legs at end | parley-as CPU | parley-ms CPU | sipp CPU | load avg | pass |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$results"
best=0
total_200=0
for ((i = 0; i < nsteps; i++)); do
    dir="$work/step$((i + 1))"
    rate=${rates[$i]}
    stat="$dir/stat.csv"
    rtt=""
    for f in "$dir"/uac_*_rtt.csv; do [[ -f "$f" ]] && rtt="$f" && break; done
    attempted=0; failed=0
    if [[ -f "$stat" ]]; then attempted=$(col "$stat" "OutgoingCall(C)"); failed=$(col "$stat" "FailedCall(C)"); fi
    ok=0; p50=-; p99=-; mx=-; sent_rate=-
    if [[ -n "$rtt" ]]; then
        awk -F';' 'NR > 1 {print $2}' "$rtt" | sort -n >"$dir/rtt_sorted.txt"
        ok=$(wc -l <"$dir/rtt_sorted.txt")
        p50=$(pct 0.50 <"$dir/rtt_sorted.txt"); p99=$(pct 0.99 <"$dir/rtt_sorted.txt")
        mx=$(tail -n1 "$dir/rtt_sorted.txt"); mx=${mx:--}
    fi
    # The rate sipp really offered: calls created over the time until the last was created
    # (its per-second stat rows; StartTime and CurrentTime end with the epoch in seconds).
    if [[ -f "$stat" ]]; then
        sent_rate=$(awk -F';' '
            NR == 1 {for (i = 1; i <= NF; i++) {if ($i == "OutgoingCall(C)") c = i; if ($i == "CurrentTime") t = i}; next}
            {split($1, a, "\t"); split($t, b, "\t"); if (!start) start = a[3]
             if ($c > n) {n = $c; at = b[3]}}
            END {if (n > 0 && at > start) printf "%.0f", n / (at - start); else print "-"}' "$stat")
    fi
    total_200=$((total_200 + ok))
    codes=$(grep -ho "received 'SIP/2\.0 [0-9][0-9][0-9]" "$dir/errors.log" 2>/dev/null | awk '{print $3}' | sort | uniq -c |
            awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}' || true)
    n0=${mark_ns[$i]}; n1=${mark_ns[$((i + 1))]}
    a0=${mark_as[$i]}; a1=${mark_as[$((i + 1))]}; m0=${mark_ms[$i]}; m1=${mark_ms[$((i + 1))]}
    s0=${mark_sipp[$i]}; s1=${mark_sipp[$((i + 1))]}
    legs=${mark_legs[$((i + 1))]}; load=${mark_load[$((i + 1))]}
    joins=${step_joins[$i]:--}
    pass=no
    if ((attempted == rate * seconds && ok == attempted && failed == 0)) && [[ "$p99" != - ]] &&
        ((p99 < p99_target_ms)) && [[ "$sent_rate" != - ]] && ((sent_rate * 100 >= rate * 90)); then
        pass=yes
        ((rate > best)) && best=$rate
    fi
    echo "| $((i + 1)) | $rate | $attempted | $ok | $failed${codes:+ ($codes)} | $sent_rate | $p50 / $p99 / $mx ms | $joins | ${legs:--} | $(cpu_share "$a0" "$a1" "$n0" "$n1") | $(cpu_share "$m0" "$m1" "$n0" "$n1") | $(cpu_share "$s0" "$s1" "$n0" "$n1") | ${load:--} | $pass |" >>"$results"
done

last=$(tail -n1 "$timeline")
joins_total=$(cut -d, -f7 <<<"$last"); leaves_total=$(cut -d, -f8 <<<"$last")
{
    echo
    echo "Totals: ${total_200} calls answered 200, ${joins_total} \"joined room\" lines in the parley-as log" \
         "($( [[ "$joins_total" == "$total_200" ]] && echo "match" || echo "MISMATCH")), ${leaves_total} \"leaves room\"."
    echo "Concurrent calls reached: ${peak_legs} parley-ms media legs at most (sipp's own count: ${peak_sipp} calls open at most)."
    echo "Peak RSS: parley-as $(awk -F, 'NR > 1 && $11 > m {m = $11} END {print m + 0}' "$timeline") MiB," \
         "parley-ms $(awk -F, 'NR > 1 && $12 > m {m = $12} END {print m + 0}' "$timeline") MiB."
    echo "Highest step passing (every call 200, p99 < ${p99_target_ms} ms, sipp kept at least 90 % of the rate): ${best} joins/s."
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} >>"$results"

# Errors and warnings the two servers logged, by kind (first words), for the reading.
{
    echo
    echo "parley-as warnings/errors: $(grep -cE '^[0-9-]+ [0-9:.]+ [WEC] ' "$work/as.log" || true);" \
         "parley-ms warnings/errors: $(grep -cE '^[0-9-]+ [0-9:.]+ [WEC] ' "$work/ms.log" || true)"
    grep -hE '^[0-9-]+ [0-9:.]+ [WEC] ' "$work/as.log" "$work/ms.log" 2>/dev/null |
        cut -d' ' -f3- | sed -E 's/[0-9]+/N/g' | cut -c1-110 | sort | uniq -c | sort -rn | head -8 || true
} >>"$results"

echo
cat "$results"
echo
echo "per-second timeline: $timeline; logs and sipp traces: $work"
