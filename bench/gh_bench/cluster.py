"""Several Gatehouse nodes on one PostgreSQL and one Redis (Debian's, throwaway instances on
loopback ports chosen at run time): how fast a deploy reaches every node (from the deploy call
on the first node to the first 200 on each of three), how exactly a rate limit is kept when
three nodes share it under saturation, and one node's requests/s with Redis counting on beside
a node counting alone."""
import os
import pwd
import secrets
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import BenchError, loadgen, procs
from .gatehouse import Gatehouse
from .probe import Probe
from .stack import Stack

ACCURACY_LIMIT, ACCURACY_WINDOW = 1000, 10
# The peers' documented intervals, for the report.
PEER_INTERVALS = ("Kong (traditional mode) polls its database every 5 s (`db_update_frequency`); Tyk debounces reloads by "
                  "1 s; Azure API Management's self-hosted gateway polls every 10 s; Gravitee syncs every 5 s")


def _bindir() -> str:
    versions = sorted((int(v), v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()) if os.path.isdir("/usr/lib/postgresql") else []
    if not versions:
        raise BenchError("PostgreSQL is missing: run bench/install.sh (it installs Debian's postgresql)")
    return f"/usr/lib/postgresql/{versions[-1][1]}/bin"


class Postgres:
    """initdb in a new temporary directory (its own: the postgres user, which the server runs as
    when the harness is root, cannot enter the harness's), the server on a free port, durability off."""

    def __init__(self):
        directory = self.directory = tempfile.mkdtemp(prefix="gatehouse-bench-pg-")
        user = "postgres" if os.geteuid() == 0 else None
        if user:
            entry = pwd.getpwnam(user)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
        data = os.path.join(directory, "data")
        made = subprocess.run([f"{_bindir()}/initdb", "-D", data, "-U", "gatehouse", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"],
                              capture_output=True, text=True, user=user)
        if made.returncode != 0:
            raise BenchError(f"initdb failed: {(made.stderr or made.stdout).strip()[-400:]}")
        self.port = procs.free_port()
        argv = [f"{_bindir()}/postgres", "-D", data, "-p", str(self.port), "-k", directory, "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"]
        # setpriv execs the server as the user, so stopping the process stops the server.
        as_user = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"] if user else []
        self.proc = procs.Proc("postgres", procs.pinned(procs.LOAD_CORE, [*as_user, *argv]), log=os.path.join(directory, "postgres.log"))
        deadline = time.monotonic() + 30
        while subprocess.run(["psql", "-X", "-q", "-d", self.url("postgres"), "-c", "SELECT 1"], capture_output=True).returncode != 0:
            self.proc.check_alive()
            if time.monotonic() > deadline:
                raise BenchError("PostgreSQL did not accept connections within 30 s")
            time.sleep(0.1)
        subprocess.run(["psql", "-X", "-q", "-d", self.url("postgres"), "-c", "CREATE DATABASE gatehouse"], check=True, capture_output=True)

    def url(self, database: str = "gatehouse") -> str:
        return f"postgres://gatehouse@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self.proc.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class Redis:
    def __init__(self, directory: str):
        os.makedirs(directory, exist_ok=True)
        self.port = procs.free_port()
        argv = [procs.require("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", directory]
        self.proc = procs.Proc("redis", procs.pinned(procs.LOAD_CORE, argv), log=os.path.join(directory, "redis.log"))
        procs.wait_port(self.port)
        self.url = f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.stop()


@dataclass
class ClusterResult:
    nodes: int
    # Per node (1 = the one deployed through), the ms from the deploy call to its first 200.
    propagation: dict = field(default_factory=dict)
    live_on_all: int = 0
    deploys: int = 0
    accuracy_requests: int = 0
    accuracy_allowed: int = 0
    accuracy_seconds: float = 0
    # requests/s of one gateway node, keyed route: with Redis counting, alone (per repeat).
    redis_on: list = field(default_factory=list)
    redis_off: list = field(default_factory=list)

    def all_ms(self) -> list:
        return sorted(ms for node in self.propagation.values() for ms in node)

    @property
    def off_by(self) -> float:
        return (self.accuracy_allowed - ACCURACY_LIMIT) / ACCURACY_LIMIT


def _pct(values: list, q: float) -> float:
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def _node(binary: str, work: str, name: str, env: dict, gateway_only: bool) -> Gatehouse:
    data = os.path.join(work, name)
    os.makedirs(data, exist_ok=True)
    return Gatehouse(binary, data, procs.PROXY_CORE, extra_env=env, args=["gateway"] if gateway_only else [])


def measure(stack: Stack, binary: str, work: str, deploys: int, accuracy_seconds: float, rps_seconds: float, repeats: int,
            strict: bool) -> ClusterResult:
    pg = Postgres()
    redis = Redis(os.path.join(work, "redis"))
    started = [pg, redis]
    try:
        shared = {"DATABASE_URL": pg.url(), "GATEHOUSE_MASTER_KEY": secrets.token_hex(32)}
        with_redis = {**shared, "GATEHOUSE_REDIS_URL": redis.url}
        first = _node(binary, work, "node-1", with_redis, gateway_only=False)
        started.append(first)
        first.setup(stack.pki)
        others = [_node(binary, work, f"node-{i}", with_redis, gateway_only=True) for i in (2, 3)]
        started += others
        nodes = [first, *others]
        result = ClusterResult(nodes=len(nodes))
        _propagation(first, nodes, stack.backend_url, deploys, result)
        _accuracy(first, nodes, stack.backend_url, accuracy_seconds, result, strict)
        alone = _node(binary, work, "node-alone", shared, gateway_only=True)
        started.append(alone)
        _redis_on_off(first, others[0], alone, rps_seconds, repeats, result)
        for node in nodes + [alone]:
            node.proc.check_alive()
        return result
    finally:
        for part in reversed(started):
            part.stop()


def _propagation(first: Gatehouse, nodes: list, backend_url: str, deploys: int, result: ClusterResult) -> None:
    """Each deploy a new proxy at a new path, so every node answers 404 until it serves it; one
    poller per node starts with the deploy call, each on new connections."""
    probes = [Probe(node.dev_port, cadata=first.gateway_pem) for node in nodes]
    result.propagation = {i + 1: [] for i in range(len(nodes))}
    for n in range(deploys):
        slug, path = f"spread-{n}", f"/spread{n}"
        first.create_proxy(slug, path, backend_url)
        seen: dict = {}

        def poll(i: int) -> None:
            seen[i], _ = probes[i].first_200(f"{path}/small", timeout=10)

        threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(nodes))]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        done = first.deploy(slug)
        for t in threads:
            t.join()
        if len(seen) != len(nodes):
            raise BenchError(f"deploy {n}: not every node served {path}")
        for i, at in seen.items():
            result.propagation[i + 1].append((at - t0) * 1000)
        live_on = done.get("live_on") or {}
        result.live_on_all += int(live_on.get("nodes") == len(nodes) and live_on.get("of") == len(nodes))
        result.deploys += 1
    for probe in probes:
        probe.close()


def _accuracy(first: Gatehouse, nodes: list, backend_url: str, seconds: float, result: ClusterResult, strict: bool) -> None:
    """A limit of ACCURACY_LIMIT per ACCURACY_WINDOW s shared by the three nodes, each saturated
    by its own wrk at once, inside one window (windows are aligned to the clock)."""
    first.create_proxy("spread-keyed", "/spread-keyed", backend_url)
    first.call("PATCH", "/projects/bench/proxies/spread-keyed", {"access": {"mode": "subscription"}})
    first.deploy("spread-keyed")
    key = first.subscription_key("spread-keyed", ACCURACY_LIMIT, ACCURACY_WINDOW)
    time.sleep(1.5)  # every node has synced with Redis and counts the others
    seconds = min(seconds, ACCURACY_WINDOW - 1.5)
    # Start just after a window opens.
    time.sleep(ACCURACY_WINDOW - time.time() % ACCURACY_WINDOW + 0.2)
    running = [loadgen.start_wrk(f"https://127.0.0.1:{node.dev_port}/spread-keyed/small", 16, seconds, headers=(f"api-key: {key}",))
               for node in nodes]
    loads = [loadgen.finish_wrk(r) for r in running]
    total = sum(load.requests for load in loads)
    refused = sum(loadgen.non_2xx(load) for load in loads)
    sockets = sum(load.errors for load in loads) - refused
    result.accuracy_requests, result.accuracy_allowed, result.accuracy_seconds = total, total - refused, seconds
    if strict and (sockets or abs(result.off_by) > 0.05 or total <= ACCURACY_LIMIT):
        raise BenchError(f"three nodes let {result.accuracy_allowed} of {total} through at a shared limit of {ACCURACY_LIMIT}")


def _redis_on_off(first: Gatehouse, shared_node: Gatehouse, alone: Gatehouse, seconds: float, repeats: int, result: ClusterResult) -> None:
    """The keyed route with a limit never reached, on a gateway node counting in Redis and on
    one counting alone, in turns (each node alone on the proxy core while measured)."""
    key = first.subscription_key("spread-keyed", 1_000_000, 1)
    time.sleep(2.5)  # the node started last has the key (it applies announced changes)
    for _ in range(repeats):
        for node, into in ((shared_node, result.redis_on), (alone, result.redis_off)):
            load = loadgen.wrk(f"https://127.0.0.1:{node.dev_port}/spread-keyed/small", 64, seconds, headers=(f"api-key: {key}",))
            if load.errors:
                raise BenchError(f"the keyed route on a node failed: {load.detail}")
            into.append(load.requests / seconds)


def lines(result: ClusterResult | None) -> list:
    if result is None or not result.deploys:
        return ["(not measured)"]
    ms = result.all_ms()
    out = [
        f"One node with the console and two `gatehouse gateway` nodes on one PostgreSQL and one Redis (Debian's, on the load "
        f"core), all on the proxy core. Peers, as documented: {PEER_INTERVALS}.", "",
        "| node | deploys | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|",
    ]
    for node, values in sorted(result.propagation.items()):
        values = sorted(values)
        label = "1 (deployed through)" if node == 1 else f"{node} (gateway only)"
        out.append(f"| {label} | {len(values)} | {_pct(values, 0.5):.1f} | {_pct(values, 0.99):.1f} | {values[-1]:.1f} |")
    out.append(f"| **every node** | {len(ms)} | **{_pct(ms, 0.5):.1f}** | **{_pct(ms, 0.99):.1f}** | **{ms[-1]:.1f}** |")
    out += ["", f"From just before the deploy call on node 1 to the first 200 on each node (a new proxy at a new path each time, polled on new "
                f"HTTPS connections from the moment of the call). Deploys answered `live_on: {{nodes: 3, of: 3}}`: {result.live_on_all} of {result.deploys}. "
                f"Target: p99 under 100 ms.", ""]
    out.append(f"Limiter across three nodes: a subscription limited to {ACCURACY_LIMIT} requests per {ACCURACY_WINDOW} s, each node saturated by "
               f"its own wrk (16 connections) for {result.accuracy_seconds:.1f} s inside one window: {result.accuracy_requests} requests, "
               f"**{result.accuracy_allowed} let through ({result.off_by:+.1%} of the limit)**. Target: within 5%.")
    if result.redis_on and result.redis_off:
        on, off = statistics.median(result.redis_on), statistics.median(result.redis_off)
        out += ["", f"One gateway node's requests/s on the keyed route (limit never reached), counting in Redis against counting alone "
                    f"(median of {len(result.redis_on)}, in turns): {on:.0f} against {off:.0f}, **{on / off:.2f}x**."]
    return out


def available() -> bool:
    return os.path.isdir("/usr/lib/postgresql") and shutil.which("redis-server") is not None
