#!/usr/bin/env bash
# Benchmark (`make bench`): the same redis-benchmark runs against a real redis-server and
# mnemo-server, each on a free port, one after the other; prints ops/s and Mnemo/Redis.
#
#   MNEMO_SERVER   mnemo-server binary (default .build/release/mnemo-server)
#   REDIS_SERVER   redis-server binary (default: redis-server on PATH)
#   BENCH_N        requests per test (default 1000000)
#   BENCH_TESTS    redis-benchmark -t list (default set,get,incr,mset)
#   BENCH_CLIENTS  -c (default 50)
#   BENCH_PIPELINES  pipeline depths (default "1 16")
#   BENCH_SECTIONS sections to run (default "cache"; "durable" adds the fsync-always comparison)
#   BENCH_ROUNDS   rounds per pipeline depth (default 3): each round runs both servers, in
#                  alternating order; the table shows the median ops/s of each server, the
#                  ratio of the medians, and the lowest and highest ratio of a single round
#                  (this machine's noise: one run alone can be off by 15-50%).
#
# Each section is one pair of server configurations. "cache": both servers without any log.
# "durable": Redis with appendonly yes + appendfsync always vs Mnemo's default (durable).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MNEMO_SERVER="${MNEMO_SERVER:-$ROOT/.build/release/mnemo-server}"
REDIS_SERVER="${REDIS_SERVER:-$(command -v redis-server || true)}"
BENCH_N="${BENCH_N:-1000000}"
BENCH_TESTS="${BENCH_TESTS:-set,get,incr,mset}"
BENCH_CLIENTS="${BENCH_CLIENTS:-50}"
BENCH_PIPELINES="${BENCH_PIPELINES:-1 16}"
BENCH_SECTIONS="${BENCH_SECTIONS:-cache}"
BENCH_ROUNDS="${BENCH_ROUNDS:-3}"
PY="${PYTHON:-python3}"

[ -x "$MNEMO_SERVER" ] || { echo "mnemo-server not found at $MNEMO_SERVER (run: make release)" >&2; exit 1; }
[ -n "$REDIS_SERVER" ] || { echo "redis-server not found" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark not found (apt-get install redis-tools)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/mnemo-bench.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_server() { # name binary args... ; sets SERVER_PORT and SERVER_PID
    local name="$1" bin="$2"
    shift 2
    SERVER_PORT="$(free_port)"
    local dir="$WORK/$name-$SERVER_PORT"
    mkdir -p "$dir"
    "$bin" --port "$SERVER_PORT" --bind 127.0.0.1 --dir "$dir" "$@" >"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 1 300); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "$name exited at start-up:" >&2; cat "$dir/server.log" >&2; exit 1
        fi
        if [ "$(redis-cli -p "$SERVER_PORT" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.1
    done
    echo "$name did not answer PING" >&2
    exit 1
}

stop_server() { # pid port
    redis-cli -p "$2" shutdown nosave >/dev/null 2>&1 || kill "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# bench <port> <pipeline> <outfile>: redis-benchmark --csv → "test,rps" lines
bench() {
    redis-benchmark -h 127.0.0.1 -p "$1" -t "$BENCH_TESTS" -n "$BENCH_N" -r 100000 -c "$BENCH_CLIENTS" \
        -P "$2" --csv -q 2>/dev/null |
        "$PY" -c '
import csv, sys
for row in csv.reader(sys.stdin):
    if not row or row[0] == "test":
        continue
    name = row[0].split(" ")[0].lower()
    print(f"{name},{row[1]}")
' >"$3"
}

# run_section <title> <redis args> -- <mnemo args>
run_section() {
    local title="$1"
    shift
    local redis_args=() mnemo_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do redis_args+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    mnemo_args=("$@")
    local p r order who
    for p in $BENCH_PIPELINES; do
        for r in $(seq 1 "$BENCH_ROUNDS"); do
            # Alternate who goes first, so a slow spell of the machine does not favour one side.
            if [ $((r % 2)) = 1 ]; then order="redis mnemo"; else order="mnemo redis"; fi
            for who in $order; do
                if [ "$who" = redis ]; then
                    start_server redis "$REDIS_SERVER" "${redis_args[@]}"
                else
                    start_server mnemo "$MNEMO_SERVER" "${mnemo_args[@]}"
                fi
                bench "$SERVER_PORT" "$p" "$WORK/$title-$who-P$p-r$r.csv"
                stop_server "$SERVER_PID" "$SERVER_PORT"
            done
        done
    done
    "$PY" - "$WORK" "$title" "$BENCH_ROUNDS" $BENCH_PIPELINES <<'EOF'
import os, statistics, sys
work, title, rounds, pipelines = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def load(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            name, rps = line.strip().split(",")
            out[name] = float(rps)
    return out
print(f"\n## {title} (median of {rounds} rounds)")
print(f"{'test':<8} {'pipeline':>8} {'redis ops/s':>14} {'mnemo ops/s':>14} {'mnemo/redis':>12} {'round range':>12}")
for p in pipelines:
    r = [load(f"{work}/{title}-redis-P{p}-r{i}.csv") for i in range(1, rounds + 1)]
    m = [load(f"{work}/{title}-mnemo-P{p}-r{i}.csv") for i in range(1, rounds + 1)]
    names = list(dict.fromkeys([n for d in r + m for n in d]))
    for name in names:
        rv = [d[name] for d in r if name in d]
        mv = [d[name] for d in m if name in d]
        rmed = statistics.median(rv) if rv else None
        mmed = statistics.median(mv) if mv else None
        ratio = f"{mmed / rmed:.2f}" if rmed and mmed else "-"
        per_round = [b[name] / a[name] for a, b in zip(r, m) if name in a and name in b and a[name]]
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if per_round else "-"
        fmt = lambda v: f"{v:,.0f}" if v is not None else "-"
        print(f"{name:<8} {p:>8} {fmt(rmed):>14} {fmt(mmed):>14} {ratio:>12} {spread:>12}")
EOF
}

echo "redis-benchmark -t $BENCH_TESTS -n $BENCH_N -r 100000 -c $BENCH_CLIENTS; pipelines: $BENCH_PIPELINES; rounds: $BENCH_ROUNDS"
echo "redis: $("$REDIS_SERVER" --version | head -1)"
echo "mnemo: $("$MNEMO_SERVER" --version 2>/dev/null | head -1) ($MNEMO_SERVER)"
for section in $BENCH_SECTIONS; do
    case "$section" in
        cache)
            # No log on either side: in-memory cache behaviour.
            run_section cache --save '' --appendonly no -- --save '' --appendonly no
            ;;
        durable)
            # Every write fsynced before its reply: Redis AOF always vs Mnemo's default log.
            run_section durable --save '' --appendonly yes --appendfsync always -- --save ''
            ;;
        *)
            echo "unknown section $section" >&2
            exit 1
            ;;
    esac
done
