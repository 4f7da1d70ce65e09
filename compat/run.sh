#!/usr/bin/env bash
# Compatibility measure (`make compat`): redis-py 8.1.0's own tests/test_commands.py, run
# against mnemo-server and against a real redis-server 7.0, both on free ports; prints
# passed/failed/skipped for both, overall and per command family (compat/summarize.py).
#
#   MNEMO_SERVER   mnemo-server binary (default .build/release/mnemo-server)
#   REDIS_SERVER   redis-server binary (default: redis-server on PATH)
#   COMPAT_K       optional pytest -k expression to run a subset
#   COMPAT_ARGS    extra arguments for pytest
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/compat/work"
VERSION=8.1.0
MNEMO_SERVER="${MNEMO_SERVER:-$ROOT/.build/release/mnemo-server}"
REDIS_SERVER="${REDIS_SERVER:-$(command -v redis-server || true)}"
PY="${PYTHON:-python3}"

[ -x "$MNEMO_SERVER" ] || { echo "mnemo-server not found at $MNEMO_SERVER (run: make release)" >&2; exit 1; }
[ -n "$REDIS_SERVER" ] || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }

mkdir -p "$WORK"
SRC="$WORK/redis-$VERSION"
if [ ! -d "$SRC/tests" ]; then
    echo "== downloading the redis-py $VERSION source distribution"
    "$PY" -m pip download -q --no-binary :all: --no-deps "redis==$VERSION" -d "$WORK"
    tar -xzf "$WORK/redis-$VERSION.tar.gz" -C "$WORK"
fi

# What its conftest / pyproject need (pytest-asyncio for asyncio_mode, pytest-timeout for
# `timeout = 30`, packaging for version checks). Only what is missing is installed.
need=()
"$PY" -c "import pytest" 2>/dev/null || need+=(pytest)
"$PY" -c "import pytest_asyncio" 2>/dev/null || need+=(pytest-asyncio)
"$PY" -c "import pytest_timeout" 2>/dev/null || need+=(pytest-timeout)
"$PY" -c "import packaging" 2>/dev/null || need+=(packaging)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]}"
    "$PY" -m pip install -q "${need[@]}"
fi

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_ping() { # port pid
    for _ in $(seq 1 300); do
        if ! kill -0 "$2" 2>/dev/null; then return 1; fi
        if "$PY" - "$1" <<'EOF' 2>/dev/null; then return 0; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5)
s.sendall(b"PING\r\n")
sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
EOF
        sleep 0.1
    done
    return 1
}

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

run_suite() { # name binary extra-args...
    local name="$1" bin="$2"
    shift 2
    local port dir pid
    port="$(free_port)"
    dir="$WORK/$name-data"
    rm -rf "$dir" && mkdir -p "$dir"
    "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" "$@" >"$WORK/$name-server.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    if ! wait_ping "$port" "$pid"; then
        echo "$name did not start; log:" >&2
        cat "$WORK/$name-server.log" >&2
        exit 1
    fi
    echo "== redis-py $VERSION tests/test_commands.py against $name (port $port)"
    local kargs=()
    [ -n "${COMPAT_K:-}" ] && kargs=(-k "$COMPAT_K")
    # Run from the sdist so `tests` imports its own helpers; its pyproject sets the pytest options.
    (cd "$SRC" && "$PY" -m pytest tests/test_commands.py --redis-url="redis://127.0.0.1:$port/0" \
        -p no:cacheprovider -q --no-header -rN --tb=line --timeout=30 --junitxml="$WORK/$name.xml" \
        "${kargs[@]}" ${COMPAT_ARGS:-} >"$WORK/$name-pytest.log" 2>&1) || true
    tail -n 1 "$WORK/$name-pytest.log"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "WARNING: $name exited during the run (see $WORK/$name-server.log)"
    fi
}

run_suite mnemo "$MNEMO_SERVER"
run_suite redis "$REDIS_SERVER" --save '' --appendonly no
echo
"$PY" "$ROOT/compat/summarize.py" "$WORK/mnemo.xml" "$WORK/redis.xml"
