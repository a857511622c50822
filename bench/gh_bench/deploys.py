"""Control-path cases: deploy-to-live with N proxies live, `nginx -s reload` with N locations,
the deploy storm under load, and memory with many proxies live."""
import os
import statistics
import threading
import time
from dataclasses import dataclass, field

from . import BenchError, loadgen, nginx, procs
from .stack import Stack


@dataclass
class Timings:
    label: str
    ms: list = field(default_factory=list)
    server_ms: list = field(default_factory=list)  # Gatehouse's own elapsed_ms
    polls: list = field(default_factory=list)  # requests until the first 200 (1 = live when the call answered)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def max(self) -> float:
        return max(self.ms)


# REST calls in flight while filling: the calls overlap their database commits (the numbers
# of interest, deploy-to-live and RSS, are measured afterwards, one call at a time).
FILL_THREADS = 4


class Fillers:
    """Proxies made live only to be there: /f/<n> on the backend, Mutual SSL on."""

    def __init__(self, stack: Stack):
        self.stack, self.count, self.seconds = stack, 0, 0.0

    def live(self) -> int:
        return 1 + self.count  # and the "bench" proxy

    def grow_to(self, live: int, budget: float | None = None) -> None:
        """Creates and deploys fillers until `live` proxies are live (or `budget` seconds run out)."""
        gh, start = self.stack.gatehouse, time.monotonic()
        while self.live() < live:
            n = self.count
            batch = [(f"f{i}", f"/f/{i}", self.stack.backend_url) for i in range(n, min(n + 200, live - 1))]
            self.seconds += gh.create_and_deploy_many(batch, threads=FILL_THREADS)
            self.count += len(batch)
            if budget is not None and time.monotonic() - start > budget:
                return

    def slugs(self, k: int) -> list[str]:
        return [f"f{i}" for i in range(min(k, self.count))]


def deploy_to_live(stack: Stack, fillers: Fillers, level: int, deploys: int) -> Timings:
    """With `level` proxies live, `deploys` times: a new proxy is created (not live: 404), then
    the clock runs from just before the deploy call to the first 200 through the gateway; the
    proxy is undeployed afterwards so `level` stays the count live."""
    gh = stack.gatehouse
    fillers.grow_to(level)
    probe = stack.probe(stack.target("gatehouse"))
    timings = Timings(f"Gatehouse deploy, {fillers.live()} live")
    for i in range(deploys):
        slug, ctx = f"live{level}x{i}", f"/live/{level}/{i}"
        gh.create_proxy(slug, ctx, stack.backend_url)
        status, _ = probe.get(f"{ctx}/small")
        if status != 404:
            raise BenchError(f"{ctx} answered {status} before its deploy")
        start = time.monotonic()
        done = gh.deploy(slug)
        live_at, polls = probe.first_200(f"{ctx}/small")
        timings.ms.append((live_at - start) * 1000)
        timings.server_ms.append(done["elapsed_ms"])
        timings.polls.append(polls)
        gh.call("DELETE", f"/projects/bench/proxies/{slug}/deployments/development")
    probe.close()
    return timings


def nginx_reload(stack: Stack, workdir: str, locations: int, reloads: int) -> Timings:
    """nginx configured like the peer with `locations` proxied locations; each time one
    location is added (replacing the last one added), then `nginx -s reload`, and the clock runs
    from just before the reload command to the first 200 on the new location."""
    inst = nginx.Nginx(f"reload-{locations}", os.path.join(workdir, f"reload-{locations}"), procs.PROXY_CORE)
    port = procs.free_port()
    base = [f"/n/{i}" for i in range(locations)]
    inst.write(nginx.peer_conf(inst.prefix, stack.pki, port, stack.backend_port, base))
    inst.start(port)
    timings = Timings(f"nginx -s reload, {locations} locations")
    try:
        probe = stack.probe(stack.target("nginx"))
        probe.port = port
        probe.expect_200("/n/0/small")
        for i in range(reloads):
            new = f"/new/{i}"
            inst.write(nginx.peer_conf(inst.prefix, stack.pki, port, stack.backend_port, base + [new]))
            status, _ = probe.get(f"{new}/small")
            if status != 404:
                raise BenchError(f"nginx: {new} answered {status} before the reload")
            start = time.monotonic()
            inst.reload()
            live_at, polls = probe.first_200(f"{new}/small")
            timings.ms.append((live_at - start) * 1000)
            timings.polls.append(polls)
            _wait_one_worker(inst)
        probe.close()
    finally:
        inst.stop()
    return timings


def _wait_one_worker(inst: nginx.Nginx, timeout: float = 10.0) -> None:
    """Until the old worker has gone, so reloads do not pile up."""
    deadline = time.monotonic() + timeout
    while len(inst.pids()) > 2 and time.monotonic() < deadline:
        time.sleep(0.01)


@dataclass
class Storm:
    deploys: int
    seconds: float
    wrk: list = field(default_factory=list)  # loadgen.Load per wrk run
    h2: list = field(default_factory=list)  # loadgen.Load per h2load run
    deploy_ms: list = field(default_factory=list)
    failed_deploys: list = field(default_factory=list)

    def total(self, loads: list) -> tuple[int, int]:
        return sum(x.requests for x in loads), sum(x.errors for x in loads)


def storm(stack: Stack, fillers: Fillers, deploys: int, chunk: float, workdir: str) -> Storm:
    """wrk (HTTP/1.1) and h2load (HTTP/2) on live routes (the bench proxy and nine fillers) while
    `deploys` deploys run back to back: every fifth redeploys the bench proxy, the others the
    fillers being hit and others. Load runs in `chunk`-second pieces until the deploys are done."""
    gh = stack.gatehouse
    hit = fillers.slugs(9)
    paths = ["/bench/small"] + [f"/f/{slug[1:]}/small" for slug in hit]
    script = os.path.join(workdir, "storm.lua")
    with open(script, "w") as f:
        f.write("local paths = {" + ", ".join(f'"{p}"' for p in paths) + "}\nlocal i = 0\n"
                "request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n")
    others = fillers.slugs(100)
    order = ["bench" if i % 5 == 0 else others[i % len(others)] if others else "bench" for i in range(deploys)]
    result = Storm(deploys, 0.0)

    def deploy_all():
        for slug in order:
            t = time.monotonic()
            try:
                gh.deploy(slug)
                result.deploy_ms.append((time.monotonic() - t) * 1000)
            except Exception as e:  # counted and reported, the storm goes on
                result.failed_deploys.append(f"{slug}: {e}")

    gw = stack.target("gatehouse")
    worker = threading.Thread(target=deploy_all)
    start = time.monotonic()
    first = True
    while first or worker.is_alive():
        wrk_proc = loadgen.start_wrk(gw.url(""), 16, chunk, script)
        h2 = loadgen.start_h2load(gw.url("/small"), 4, 8, chunk)
        if first:
            time.sleep(min(0.5, chunk / 4))
            worker.start()
            first = False
        result.wrk.append(loadgen.finish_wrk(wrk_proc))
        result.h2.append(loadgen.finish_h2load(h2))
    worker.join()
    result.seconds = time.monotonic() - start
    stack.check_alive()
    return result
