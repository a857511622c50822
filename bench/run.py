#!/usr/bin/env python3
"""Gatehouse versus nginx, HAProxy and Caddy on the mutual-TLS path, on loopback: data path,
deploy-to-live, a deploy storm and memory. `make bench` runs it in full and writes bench/RESULTS.md;
`make bench-smoke` runs every step for about a second and fails on any error."""
import argparse
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gh_bench import BenchError, cluster, limits, procs, refusals, report  # noqa: E402
from gh_bench.deploys import FILL_THREADS, Fillers, deploy_to_live, nginx_reload, storm  # noqa: E402
from gh_bench.gatehouse import Gatehouse  # noqa: E402
from gh_bench.probe import Probe  # noqa: E402
from gh_bench.stack import CONTEXT, PEER_TITLES, PEERS, Stack  # noqa: E402
from gh_bench.throughput import Settings, run_all  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--smoke", action="store_true", help="every step for about a second, tiny proxy counts; fails on any error")
    p.add_argument("--out", help="where to write the results (default: bench/RESULTS.md, or a temporary file with --smoke)")
    p.add_argument("--gatehouse", default=os.environ.get("GATEHOUSE_BIN", os.path.join(ROOT, "target/release/gatehouse")),
                   help="the gatehouse binary (default: $GATEHOUSE_BIN or ./target/release/gatehouse)")
    p.add_argument("--duration", type=float, help="seconds per measured run (full 6, smoke 1)")
    p.add_argument("--latency-duration", type=float, help="seconds per measured run of the latency cases (full 20, smoke 1)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each run (full 2, smoke 0)")
    p.add_argument("--repeats", type=int, help="repeats of each case (full 5, smoke 1)")
    p.add_argument("--deploys", type=int, help="deploys timed per level (full 20, smoke 3)")
    p.add_argument("--levels", help="live proxy counts for deploy-to-live (full 1,100,1000; smoke 1,5)")
    p.add_argument("--reload-locations", help="location counts for nginx -s reload (full 1,1000; smoke 1,5)")
    p.add_argument("--storm-deploys", type=int, help="deploys in the storm (full 100, smoke 5)")
    p.add_argument("--memory-proxies", type=int, help="live proxies for the memory figure (full 10000, smoke 20)")
    p.add_argument("--memory-budget", type=float, help="seconds allowed for making them live; 0 = no limit (full 900)")
    p.add_argument("--cluster-deploys", type=int, help="deploys timed across three nodes on PostgreSQL (full 50, smoke 3)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (configs, logs)")
    p.add_argument("--baseline", help="with --cases: another gatehouse binary (an earlier build), set up the same way and "
                   "measured in the same run as one more target, reported as Gatehouse / baseline")
    p.add_argument("--cases", help="only these data-path cases, comma-separated (e.g. h1-small,h2-small): a quick "
                   "side-by-side check while working on the gateway; prints the ratios, writes nothing")
    a = p.parse_args()
    full = dict(duration=6, latency_duration=20, warmup=2, repeats=5, deploys=20, levels="1,100,1000", reload_locations="1,1000",
                storm_deploys=100, memory_proxies=10000, memory_budget=900, cluster_deploys=50)
    smoke = dict(duration=1, latency_duration=1, warmup=0, repeats=1, deploys=3, levels="1,5", reload_locations="1,5",
                 storm_deploys=5, memory_proxies=20, memory_budget=0, cluster_deploys=3)
    for key, value in (smoke if a.smoke else full).items():
        if getattr(a, key) is None:
            setattr(a, key, value)
    if a.out is None:
        a.out = os.path.join(tempfile.gettempdir(), "gatehouse-bench-smoke.md") if a.smoke else os.path.join(ROOT, "bench/RESULTS.md")
    if a.baseline and not a.cases:
        p.error("--baseline goes with --cases")
    if a.smoke and os.path.abspath(a.out) == os.path.join(ROOT, "bench/RESULTS.md"):
        p.error("--smoke never writes bench/RESULTS.md: pass --out elsewhere")
    return a


def restart_rss(stack: Stack, binary: str, live: int) -> int:
    """Gatehouse's RSS (KiB) after a restart on the same data: what the live routes cost without
    the allocator's leftovers from the REST calls that made them. Checks one route serves."""
    stack.gatehouse.stop()
    again = Gatehouse(binary, stack.gatehouse.data_dir, procs.PROXY_CORE)
    try:
        time.sleep(2)
        status, _ = Probe(again.dev_port, cadata=stack.gatehouse.gateway_pem).get(f"{CONTEXT}/small")
        if status != 200:
            raise BenchError(f"after a restart with {live} proxies live, {CONTEXT}/small answered {status}")
        return procs.rss_kib(again.pid)
    finally:
        again.stop()


def main() -> int:
    a = arguments()
    latency = not a.cases or any(c.startswith("lat-") for c in a.cases.split(","))
    for tool in ("nginx", "haproxy", "caddy", "wrk", "h2load", "taskset", "openssl", "psql", "redis-server") + (("oha",) if latency else ()):
        procs.require(tool)
    if (os.cpu_count() or 1) < 2:
        raise BenchError("the harness pins the proxy and the load to two different cores: it needs 2")
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="gatehouse-bench-")
    stack = Stack(work, os.path.abspath(a.gatehouse), os.path.abspath(a.baseline) if a.baseline else None)
    commands: list[str] = []
    loads = [("start", _loadavg())]
    try:
        stack.start()
        print(*peer_lines(stack), sep="\n", flush=True)
        time.sleep(0.5 if a.smoke else 2)
        memory = [(1, procs.rss_kib(stack.gatehouse.pid))]
        settings = Settings(a.duration, a.warmup, a.repeats, strict=a.smoke, latency_duration=a.latency_duration)
        if a.cases:
            results, _ = run_all(stack, settings, commands, only=a.cases.split(","))
            print(*report.quick_lines(results), sep="\n")
            print(*limits.lines(results, None)[2:], sep="\n")
            print(*report.policy_lines(results)[2:], sep="\n")
            return 0
        results, load_peak = run_all(stack, settings, commands)
        loads.append(("after the data-path cases", _loadavg()))
        print(f"limiter: {limits.LIMIT} requests per {limits.WINDOW} s under wrk saturation", flush=True)
        accuracy = limits.limiter_accuracy(stack, 2 if a.smoke else limits.WINDOW, strict=a.smoke)
        print(f"  {accuracy.allowed} of {accuracy.requests} let through ({accuracy.off_by:+.1%})", flush=True)
        print(*limits.lines(results, None)[2:], sep="\n", flush=True)

        print(f"cluster: three nodes on PostgreSQL and Redis, {a.cluster_deploys} deploys", flush=True)
        spread = cluster.measure(stack, os.path.abspath(a.gatehouse), work, a.cluster_deploys, 2 if a.smoke else cluster.ACCURACY_WINDOW,
                                 a.duration, a.repeats, strict=a.smoke)
        print(*cluster.lines(spread)[3:], sep="\n", flush=True)

        fillers = Fillers(stack)
        levels = [int(x) for x in a.levels.split(",")]
        gh_deploys = []
        for level in levels:
            print(f"deploy-to-live with {level} live", flush=True)
            gh_deploys.append(deploy_to_live(stack, fillers, level, a.deploys))
            print(f"  median {gh_deploys[-1].median:.1f} ms, max {gh_deploys[-1].max:.1f} ms", flush=True)
            if level > 1:
                memory.append((fillers.live(), procs.rss_kib(stack.gatehouse.pid)))
        ng_reloads = []
        for locations in [int(x) for x in a.reload_locations.split(",")]:
            print(f"nginx -s reload with {locations} locations", flush=True)
            ng_reloads.append(nginx_reload(stack, work, locations, a.deploys))
            print(f"  median {ng_reloads[-1].median:.1f} ms, max {ng_reloads[-1].max:.1f} ms", flush=True)

        print(f"storm: {a.storm_deploys} deploys under load", flush=True)
        st = storm(stack, fillers, a.storm_deploys, max(1.0, a.duration / 2), work)
        print(f"  wrk {st.total(st.wrk)}, h2load {st.total(st.h2)} (requests, failed); failed deploys {len(st.failed_deploys)}", flush=True)
        if a.smoke and (st.total(st.wrk)[1] or st.total(st.h2)[1] or st.failed_deploys):
            raise BenchError(f"the storm had failures: {report.storm_lines(st)}")

        print(f"memory: making {a.memory_proxies} proxies live", flush=True)
        t = time.monotonic()
        fillers.grow_to(a.memory_proxies, budget=a.memory_budget or None)
        time.sleep(0.5 if a.smoke else 2)
        memory.append((fillers.live(), procs.rss_kib(stack.gatehouse.pid)))
        print(f"  {fillers.live()} live after {time.monotonic() - t:.0f} s: {memory[-1][1] / 1024:.1f} MB", flush=True)
        print(f"deploy-to-live with {fillers.live()} live", flush=True)
        gh_deploys.append(deploy_to_live(stack, fillers, fillers.live(), max(3, a.deploys // 4)))
        stack.check()
        restarted = restart_rss(stack, a.gatehouse, fillers.live())
        print(f"  after a restart with {fillers.live()} live: {restarted / 1024:.1f} MB", flush=True)
        loads.append(("end", _loadavg()))
        peers = peer_lines(stack)
        peer_confs = {name: open(stack.peers[name].conf).read() for name in PEERS}
    finally:
        stack.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    elapsed = time.monotonic() - started
    text = document(a, results, gh_deploys, ng_reloads, st, memory, load_peak, fillers, commands, peers, peer_confs, elapsed, levels, loads,
                    restarted, accuracy, spread)
    with open(a.out, "w") as f:
        f.write(text)
    print(f"wrote {a.out} after {elapsed:.0f} s")
    return 0


def peer_lines(stack: Stack) -> list[str]:
    """What the last check saw through each peer: /bench served, the refusal routes refused."""
    return ["peer " + refusals.line(name, stack.refused[name]) for name in PEERS]


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def document(a, results, gh_deploys, ng_reloads, st, memory, load_peak, fillers, commands, peers, peer_confs, elapsed, levels, loads, restarted,
             accuracy, spread) -> str:
    mem_lines, at_goal = report.memory_lines(memory, load_peak, a.memory_proxies)
    mem_lines.append(f"- after a restart with the same {memory[-1][0]} proxies live (restored from the database, no REST "
                     f"traffic since): {restarted / 1024:.1f} MB")
    deploy_level = max(levels)
    lines = [
        "# Gatehouse versus nginx, HAProxy and Caddy on the mutual-TLS path" + (" (smoke run: not a measurement)" if a.smoke else ""),
        "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time {elapsed / 60:.1f} min. "
        f"Gatehouse: {report.binary_info(a.gatehouse)}.",
        "",
        "Figures from a noisy 2-core virtual machine where other builds may have been running: read the ratios, not the "
        "absolute numbers. Core 0 runs the proxy under test (nginx: master + 1 worker; HAProxy: `nbthread 1`; Caddy: "
        "`GOMAXPROCS=1`; Gatehouse with "
        "`GATEHOUSE_GATEWAY_THREADS=1` and `TOKIO_WORKER_THREADS=1`: one gateway thread, one console thread), core 1 the load generator and the backend (nginx, 1 worker), via `taskset`. "
        "Load average (1, 5, 15 min) " + "; ".join(f"{when}: {v}" for when, v in loads) + " (the harness itself keeps about 2 busy).",
        "",
        "Each ratio is given against each peer and against the best peer of that case (the highest requests/s; the "
        "lowest p99 or CPU time): the targets are read from the best peer.", "",
        "## Targets", "", *report.targets(results, gh_deploys, st, at_goal, memory[-1][0] >= a.memory_proxies, deploy_level, a.memory_proxies), "",
        f"## Requests/s at saturation (median of {a.repeats}, min–max; {a.duration:.0f} s runs after {a.warmup:.0f} s warm-up)", "",
        *report.throughput_table(results), "",
        f"## Latency at a fixed rate (oha `-q`, coordinated-omission corrected; median of {a.repeats}, min–max; {a.latency_duration:.0f} s runs after {a.warmup:.0f} s warm-up)", "", *report.latency_table(results), "",
        "## CPU seconds per 100k requests (the proxy's processes; for direct, the backend's)", "", *report.cpu_table(results), "",
        "## Subscription key and rate limit (the same route open and keyed, side by side in each repeat)", "",
        "The keyed route: access \"subscription\", the key in the `api-key` header, a product with a rate limit of "
        "1,000,000 per second (never reached). Target: at least 0.9x the open route.", "",
        *limits.lines(results, accuracy), "",
        "## Policies (the same route with and without them, side by side in each repeat)", "",
        "\"Remove fingerprinting headers\" and \"Mask backend URLs\" on a 16 KiB JSON body that names the backend's URL "
        "8 times (each rewritten as it streams; the length changes, so the body goes chunked). Target: at least 0.9x the same route "
        "without policies.", "",
        *report.policy_lines(results), "",
        "## Deploy-to-live", "",
        "From just before `POST …/proxies/{proxy}/deployments` (or `nginx -s reload`) to the first 200 through the gateway on "
        "the new route, polled with a new HTTPS connection per request (verifying the gateway's certificate), the same for "
        "both. Polls until the first 200 is 1 when the route was live as soon as the deploy call answered.", "",
        *report.deploy_table(gh_deploys, ng_reloads), "",
        "## Deploy storm", "", *report.storm_lines(st), "",
        "## Several nodes on one PostgreSQL and Redis", "", *cluster.lines(spread), "",
        "## Memory (Gatehouse VmRSS)", "", *mem_lines,
        f"- making proxies live through REST (create, PUT endpoint, deploy; {FILL_THREADS} calls at a time) took {fillers.seconds:.0f} s for {fillers.count} proxies",
        "",
        "## Peers' checks", "",
        "Before measuring and again at the end, through each peer: `/bench` serves the backend's bodies, and routes set up "
        "like it but with one thing wrong are refused: `/bad-ca` (the backend's certificate from another CA), `/bad-name` "
        "(from the bench CA, for elsewhere.invalid), `/no-cert` (no client certificate: the backend's 400; nginx cannot drop "
        "the certificate in one location, so for nginx that is the backend's own check). Statuses at the last check:", "",
        *(f"- {line}" for line in peers), "",
        "## Machine", "", *report.machine(), "",
        "## Commands", "",
        "```sh", "bench/install.sh   # what make bench runs first", " ".join(shlex.quote(x) for x in ["python3", "bench/run.py", *sys.argv[1:]]), "```", "",
        "Each load generator as run in the first repeat (ports are picked at run time):", "",
        "```", *commands, "```", "",
        *peer_details(peer_confs),
    ]
    return "\n".join(lines)


def peer_details(confs: dict) -> list[str]:
    """Each peer's configuration as run, folded."""
    lang = {"nginx": "nginx", "haproxy": "haproxy", "caddy": "json"}
    out = []
    for name in PEERS:
        out += [f"<details><summary>The {PEER_TITLES[name]} peer's configuration</summary>", "", f"```{lang[name]}", confs[name].strip(), "```",
                "", "</details>", ""]
    return out


if __name__ == "__main__":
    # A stopped make (SIGTERM) still stops what the harness started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
