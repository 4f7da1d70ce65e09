# Mnemo — two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
APT_PACKAGES := liblua5.4-dev lua-cjson-dev lua-bitop-dev libjemalloc-dev pkg-config redis-tools redis-server openssl
PY_PACKAGES := redis pytest
PORT ?= 6379
DATA_DIR ?= ./mnemo-data
SWIFT_BUILD_FLAGS ?=
# Release builds skip runtime exclusivity checks in every module, dependencies included
# (Package.swift does it for Mnemo's own targets; SwiftNIO's ByteBuffer writes otherwise
# check on every reply): -3.5% instructions per request.
RELEASE_FLAGS := -Xswiftc -enforce-exclusivity=unchecked

.PHONY: run test deps build release unit integration compat bench crash-test clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@python3 -c "import redis, pytest" 2>/dev/null || { echo "Installing Python packages: $(PY_PACKAGES)"; python3 -m pip install -q $(PY_PACKAGES); }

release: deps
	swift build -c release $(RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS)

run: release
	mkdir -p $(DATA_DIR)
	.build/release/mnemo-server --port $(PORT) --bind 127.0.0.1 --dir $(DATA_DIR)

build: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)

# Unit tests (swift test) then integration tests (real clients over TCP) on the same debug build.
test: build
	swift test --skip-build --parallel --num-workers 2
	MNEMO_SERVER=$(CURDIR)/.build/debug/mnemo-server python3 -m pytest -q Tests/integration

compat: release
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server bash compat/run.sh

bench: release
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server BENCH_SECTIONS="cache durable" BENCH_N=$${BENCH_N:-300000} \
		BENCH_TESTS=set,get,incr,mset,lpush,rpop,sadd,spop,hset,zadd,zpopmin,lrange_100 bash bench/compare.sh
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server python3 bench/persistence.py
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server python3 bench/pubsub.py
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server python3 bench/scripting.py
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server python3 bench/acl.py
	MNEMO_SERVER=$(CURDIR)/.build/release/mnemo-server python3 bench/modules.py

crash-test: build
	MNEMO_SERVER=$(CURDIR)/.build/debug/mnemo-server MNEMO_CRASH_CYCLES=200 python3 -m pytest -q Tests/integration/test_crash.py

clean:
	rm -rf .build $(DATA_DIR)
