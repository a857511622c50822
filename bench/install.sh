#!/usr/bin/env bash
# Installs what the benchmark harness needs, each step skipped when already there:
# nginx (Debian nginx-light, else nginx), haproxy and caddy (the other two peer gateways), wrk,
# h2load (nghttp2-client), taskset (util-linux), openssl, PostgreSQL and Redis (for the cluster
# measurements), and oha (cargo install, only if missing).
# Debian's nginx, haproxy and caddy packages would start system services (caddy on port 80); the
# harness never uses them (it runs its own instances on free loopback ports), and policy-rc.d keeps
# the maintainer scripts from starting them.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The cluster measurements (gh_bench/cluster.py): throwaway PostgreSQL and Redis instances.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)

if [ "${#need[@]}" -gt 0 ]; then
  echo "bench/install.sh: apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  # policy-rc.d exit 101 keeps Debian's maintainer scripts from starting nginx, haproxy or caddy.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"; then
    # nginx-light is gone from newer Debian releases: fall back to nginx.
    need=("${need[@]/nginx-light/nginx}")
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
  fi
fi

if ! command -v oha >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/oha" ]; then
  echo "bench/install.sh: cargo install oha --locked (compiles for a few minutes, once per machine)"
  start=$(date +%s)
  cargo install oha --version 1.16.0 --locked
  echo "bench/install.sh: oha installed in $(( $(date +%s) - start )) s"
fi
