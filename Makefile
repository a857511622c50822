# Gatehouse: the two commands.
#   make run   installs what is missing, builds (release) and starts Gatehouse on SQLite in ./data
#   make test  installs what is missing, checks formatting and clippy, and runs every cargo test,
#              the Playwright suite and the benchmark smoke run
# Every install step is skipped when its result is already there at the right version.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# cargo-installed tools, then wasm-opt from npm (Debian's binaryen is too old).
export PATH := $(CARGO_BIN):$(CURDIR)/tools/node_modules/.bin:$(PATH)
export LEPTOS_ENV := PROD

.PHONY: help run test build site tools tools-test tools-pebble tools-postgres tools-redis tools-bench lint test-build test-cargo test-e2e bench bench-smoke fuzz clean

help:
	@echo "make run    build and start Gatehouse (console on http://127.0.0.1:3000)"
	@echo "make test   run every test: cargo tests, Playwright (JavaScript on and off), the benchmark smoke run"
	@echo "make bench  Gatehouse against nginx, HAProxy and Caddy on the mutual-TLS path; writes bench/RESULTS.md (about 55 min)"
	@echo "make fuzz   the property-based fuzz tests at length (FUZZ_CASES per property, default 100000)"

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -qF "$(CARGO_LEPTOS_VERSION)" || \
		cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -qF "$(WASM_BINDGEN_VERSION)" || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@test -x tools/node_modules/.bin/wasm-opt || (cd tools && npm install --no-audit --no-fund)

tools-test: tools
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)
	@test -d end2end/node_modules/@playwright/test || \
		(cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

build: tools
	cargo leptos build --release

run: build
	@mkdir -p data
	GATEHOUSE_DATA_DIR=$${GATEHOUSE_DATA_DIR:-./data} LEPTOS_SITE_ROOT=target/site ./target/release/gatehouse

# The tests' build: the browser site from cargo-leptos (wasm, CSS, public/), and every test
# binary plus target/release/gatehouse from one `cargo test` build. The server is compiled once:
# a cargo-leptos server build beside it would take the workspace crates with other dependency
# features (the tests' dev-dependencies add some) and each build would undo the other's.
site: tools
	cargo leptos build --release --frontend-only

test-build: site
	cargo test --release --workspace --no-run

# Debian's pebble (an RFC 8555 ACME test server) for server/tests/acme_pebble.rs.
tools-pebble:
	@command -v pebble >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y pebble)

# Debian's PostgreSQL server (testkit::postgres starts throwaway instances): the service tests
# on PostgreSQL and server/tests/cluster.rs. Not started as a system service.
tools-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null || \
		($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

# Debian's Redis server (testkit::redis starts throwaway instances) for server/tests/cluster.rs.
tools-redis:
	@command -v redis-server >/dev/null || \
		($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)

# The peers and load tools of the benchmark (bench/install.sh): Debian's nginx, HAProxy, Caddy,
# wrk, h2load. HAProxy also stands in front of three nodes in server/tests/rolling.rs.
tools-bench:
	bench/install.sh

test-cargo: test-build tools-pebble tools-postgres tools-redis tools-bench
	cargo test --release --workspace

test-e2e: test-build tools-test
	cd end2end && npx playwright test

# Formatting (rustfmt.toml) and clippy with every warning an error (clippy.toml).
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# The benchmark harness in its seconds-long smoke mode, so it never rots (bench/README.md).
test: lint tools-test test-cargo test-e2e bench-smoke

# The property-based fuzz tests (proptest; every test named fuzz_*): generated request paths,
# Cookie headers, OpenAPI contracts (aliases, nesting) and certificate input (damaged DER and
# PEM, arbitrary bytes). `make test` runs each with proptest's 256 cases; this runs FUZZ_CASES.
FUZZ_CASES ?= 100000

fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --release -p gateway -p gatehouse-services fuzz_

# Gatehouse versus nginx, HAProxy and Caddy on the mutual-TLS path, loopback only (bench/README.md). `bench` (not
# part of `make test`) writes bench/RESULTS.md; `bench-smoke` runs every step for about a second.
BENCH_GATEHOUSE ?= ./target/release/gatehouse

bench: build tools-bench
	python3 bench/run.py --gatehouse $(BENCH_GATEHOUSE) --out bench/RESULTS.md

bench-smoke: test-build tools-bench
	python3 bench/run.py --smoke --gatehouse $(BENCH_GATEHOUSE) --out $${TMPDIR:-/tmp}/gatehouse-bench-smoke.md

clean:
	cargo clean
