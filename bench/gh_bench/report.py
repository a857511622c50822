"""bench/RESULTS.md: the tables, the targets, the machine, the date and the exact commands."""
import math
import os
import platform
import statistics
import subprocess
import time

from .deploys import Storm, Timings
from .stack import PEER_TITLES, PEERS
from .throughput import CaseResult

# The tables' columns: direct, each peer gateway, Gatehouse.
TARGETS = ("direct", *PEERS, "gatehouse")
TITLES = {"direct": "direct", **PEER_TITLES, "gatehouse": "Gatehouse", "baseline": "baseline"}


def _rps(x) -> float:
    return x.load.rps


def _cpu(x) -> float:
    return x.cpu_per_100k


def _lat(key):
    return lambda x: x.load.latency_ms[key]


def _spread(r: CaseResult, target: str, metric, fmt: str) -> str:
    values = r.values(target, metric)
    if not values:
        return "–"
    med = format(statistics.median(values), fmt)
    if len(values) == 1:
        return med
    return f"{med} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def _ratio(a: float, b: float) -> str:
    if not b or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:.2f}x"


def best_peer(r: CaseResult, metric, lowest: bool = False) -> str:
    """The peer with the best median of `metric` in this case: the highest (requests/s), or with
    `lowest` the lowest (latency, CPU). Chosen by name from PEERS, never by position."""
    medians = {p: r.median(p, metric) for p in PEERS}
    ran = {p: v for p, v in medians.items() if not math.isnan(v)}
    if not ran:
        return PEERS[0]
    return (min if lowest else max)(ran, key=ran.get)


def _paired(r: CaseResult, metric, over: str = "nginx") -> str:
    """Gatehouse / `over` within each repeat (the two ran seconds apart, so a slow spell of the
    machine mostly hits both): the median of those ratios, and their range."""
    pairs = [g / o for g, o in zip(r.values("gatehouse", metric), r.values(over, metric)) if o]
    if not pairs:
        return "–"
    med = f"{statistics.median(pairs):.2f}x"
    return med if len(pairs) == 1 else f"{med} ({min(pairs):.2f}–{max(pairs):.2f})"


def _against_peers(r: CaseResult, metric, lowest: bool = False) -> tuple[list[str], str, str]:
    """Gatehouse / each peer (medians), Gatehouse / the best peer with its name, and the
    per-repeat ratio against that best peer."""
    g = r.median("gatehouse", metric)
    each = [_ratio(g, r.median(p, metric)) for p in PEERS]
    best = best_peer(r, metric, lowest)
    return each, f"**{_ratio(g, r.median(best, metric))}** ({TITLES[best]})", _paired(r, metric, best)


def _peer_columns(what: str) -> str:
    return " | ".join(f"{what} / {TITLES[p]}" for p in PEERS)


def throughput_table(results: dict) -> list[str]:
    errs_head = "/".join(TITLES[t][0].lower() for t in TARGETS)
    out = [f"| case | {' | '.join(TITLES[t] for t in TARGETS)} | {_peer_columns('Gatehouse')} | Gatehouse / best peer | "
           f"per repeat, / best peer | errors ({errs_head}) |",
           "|---|" + "---:|" * (len(TARGETS) + len(PEERS) + 2) + "---|"]
    for key in ("h1-small", "h1-16k", "h2-small", "h2-16k", "newconn"):
        r = results[key]
        cells = [_spread(r, t, _rps, ".0f") for t in TARGETS]
        each, best, paired = _against_peers(r, _rps)
        errs = "/".join(str(r.errors(t)) for t in TARGETS)
        out.append(f"| {r.case.title}, {r.case.connections} conn{f' × {r.case.streams} streams' if r.case.streams > 1 else ''} "
                   f"| {' | '.join(cells)} | {' | '.join(each)} | {best} | {paired} | {errs} |")
    return out


def quick_lines(results: dict) -> list[str]:
    """`--cases`: one line per case, the medians, Gatehouse / each peer and / the best peer."""
    out = []
    for key, r in results.items():
        if r.case.rate_from:
            out.append(_quick_latency(key, r))
            continue
        med = {t: r.median(t, _rps) for t in TARGETS}
        cpu = {t: r.median(t, _cpu) for t in TARGETS}
        best, best_cpu = best_peer(r, _rps), best_peer(r, _cpu, lowest=True)
        line = (f"{key:9} req/s " + ", ".join(f"{TITLES[t]} {med[t]:.0f}" for t in TARGETS) + ": Gatehouse / "
                + ", / ".join(f"{TITLES[p]} {_ratio(med['gatehouse'], med[p])}" for p in PEERS)
                + f"; / best peer ({TITLES[best]}) {_ratio(med['gatehouse'], med[best])} (per repeat {_paired(r, _rps, best)}); "
                f"CPU s/100k / best peer ({TITLES[best_cpu]}) {_ratio(cpu['gatehouse'], cpu[best_cpu])}")
        if r.samples.get("baseline"):
            base, base_cpu = r.median("baseline", _rps), r.median("baseline", _cpu)
            line += (f"; baseline {base:.0f} req/s ({_ratio(base, med[best])} of {TITLES[best]}): Gatehouse / baseline "
                     f"{_ratio(med['gatehouse'], base)} (per repeat {_paired(r, _rps, 'baseline')}), CPU s/100k {_ratio(cpu['gatehouse'], base_cpu)}")
        out.append(line)
    return out


def _added_p99(r: CaseResult, target: str) -> float:
    return r.median(target, _lat("p99")) - r.median("direct", _lat("p99"))


def _quick_latency(key: str, r: CaseResult) -> str:
    """`--cases`, a latency case: each p99, and Gatehouse's added p99 / each peer's and / the
    best peer's (the lowest p99)."""
    g = _added_p99(r, "gatehouse")
    best = best_peer(r, _lat("p99"), lowest=True)
    others = [t for t in ("baseline",) if r.samples.get(t)]
    return (f"{key:9} p99 ms " + ", ".join(f"{TITLES[t]} {r.median(t, _lat('p99')):.2f}" for t in (*TARGETS, *others))
            + f" at {r.rate:.0f} req/s: added p99, Gatehouse / " + ", / ".join(f"{TITLES[p]} {_added_ratio(g, _added_p99(r, p), p)}" for p in PEERS)
            + f"; / best peer ({TITLES[best]}) {_added_ratio(g, _added_p99(r, best), best)}")


def latency_table(results: dict) -> list[str]:
    out = ["| case | target | achieved req/s | p50 ms | p99 ms | p99.9 ms | added p50 ms | added p99 ms |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    ratios = []
    for key in ("lat-h1", "lat-h2"):
        r = results[key]
        d50, d99 = r.median("direct", _lat("p50")), r.median("direct", _lat("p99"))
        for t in TARGETS:
            p50, p99 = r.median(t, _lat("p50")), r.median(t, _lat("p99"))
            add = ("–", "–") if t == "direct" else (f"{p50 - d50:.2f}", f"{p99 - d99:.2f}")
            out.append(f"| {r.case.title}, {r.rate:.0f} req/s target | {TITLES[t]} | {_spread(r, t, _rps, '.0f')} | {_spread(r, t, _lat('p50'), '.2f')} "
                       f"| {_spread(r, t, _lat('p99'), '.2f')} | {_spread(r, t, _lat('p99.9'), '.2f')} | {add[0]} | {add[1]} |")
        ratios.append((key, r))
    out.append("")
    for key, r in ratios:
        g = _added_p99(r, "gatehouse")
        best = best_peer(r, _lat("p99"), lowest=True)
        each = ", ".join(f"/ {TITLES[p]} {_added_ratio(g, _added_p99(r, p), p)} ({_added_p99(r, p):.2f} ms)" for p in PEERS)
        out.append(f"- Added p99, {key}: Gatehouse {g:.2f} ms; Gatehouse {each}; / the best peer ({TITLES[best]}): "
                   f"**{_added_ratio(g, _added_p99(r, best), best)}**")
    return out


def _added_ratio(g: float, n: float, peer: str = "nginx") -> str:
    """A ratio of added latencies means nothing once the peer's is zero or less (the direct p99,
    load generator and backend sharing one core, was the noisier one): then say so."""
    return _ratio(g, n) if n > 0 else f"– ({TITLES[peer]}'s added p99 ≤ 0: compare the ms)"


def cpu_table(results: dict) -> list[str]:
    out = [f"| case | backend (direct) | {' | '.join(TITLES[t] for t in TARGETS[1:])} | {_peer_columns('Gatehouse')} | "
           "Gatehouse / best peer (the lowest) |", "|---|" + "---:|" * (len(TARGETS) + len(PEERS) + 1)]
    for key in ("h1-small", "h1-16k", "h2-small", "h2-16k", "newconn"):
        r = results[key]
        cells = [_spread(r, t, _cpu, ".2f") for t in TARGETS]
        each, best, _ = _against_peers(r, _cpu, lowest=True)
        out.append(f"| {r.case.title} | {' | '.join(cells)} | {' | '.join(each)} | {best} |")
    return out


def deploy_table(gh: list[Timings], ng: list[Timings]) -> list[str]:
    out = ["| what | runs | median ms | max ms | Gatehouse's own elapsed_ms (median) | requests until the first 200 (max) |",
           "|---|---:|---:|---:|---:|---:|"]
    for t in gh + ng:
        own = f"{statistics.median(t.server_ms):.0f}" if t.server_ms else "–"
        out.append(f"| {t.label} | {len(t.ms)} | {t.median:.1f} | {t.max:.1f} | {own} | {max(t.polls)} |")
    return out


def storm_lines(s: Storm) -> list[str]:
    wr, we = s.total(s.wrk)
    hr, he = s.total(s.h2)
    details = "; ".join(x.detail for x in s.wrk + s.h2 if x.detail) or "none"
    dm = f"median {statistics.median(s.deploy_ms):.1f} ms, max {max(s.deploy_ms):.1f} ms" if s.deploy_ms else "–"
    return [
        f"- {s.deploys} deploys in {s.seconds:.1f} s ({dm}); failed deploys: {len(s.failed_deploys)}"
        + (f" ({'; '.join(s.failed_deploys[:3])})" if s.failed_deploys else ""),
        f"- HTTP/1.1 (wrk, 16 connections, 10 live routes): {wr} requests, **{we} failed, reset or non-2xx**",
        f"- HTTP/2 (h2load, 4 connections × 8 streams, the redeployed bench route): {hr} requests, **{he} failed, reset or non-2xx**",
        f"- error detail: {details}",
    ]


def machine() -> list[str]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":", 1)[1].strip()
    return [f"- cores: {os.cpu_count()} (`nproc`: {_sh(['nproc'])}), model: {model}, memory: {mem}",
            f"- kernel: {platform.release()}; {_sh(['sh', '-c', '. /etc/os-release && echo $PRETTY_NAME'])}",
            f"- {_sh(['nginx', '-v'])}; {_sh(['haproxy', '-v'])}; caddy {_sh(['caddy', 'version'])}; wrk {_sh(['sh', '-c', 'wrk -v 2>&1 | head -1'])}; {_sh(['h2load', '--version'])}; {_sh(['oha', '--version'])}"]


def _sh(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (done.stdout + done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return f"({argv[0]} not found)"


def binary_info(path: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))
    commit = _sh(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"])
    return f"`{path}` (modified {stamp}; the checkout was at commit {commit} during the run, which the binary may predate)"


def memory_lines(points: list[tuple[int, int]], load_peak: int, goal: int) -> tuple[list[str], float]:
    """RSS at each count of live proxies; the figure for `goal` proxies (extrapolated linearly
    from the last two points when the run stopped short of it), in MB."""
    out = [f"- idle, {points[0][0]} proxy live: {points[0][1] / 1024:.1f} MB",
           f"- peak under the throughput load above (1 proxy live): {load_peak / 1024:.1f} MB"]
    out += [f"- {n} proxies live: {kib / 1024:.1f} MB" for n, kib in points[1:]]
    n, kib = points[-1]
    at_goal = kib / 1024
    if n < goal and len(points) >= 2:
        (n0, k0) = points[-2]
        slope = (kib - k0) / max(1, n - n0)
        at_goal = (kib + slope * (goal - n)) / 1024
        out.append(f"- {goal} proxies: **not reached** in this run; {slope:.1f} KiB per proxy between {n0} and {n} live "
                   f"extrapolates to **{at_goal:.0f} MB** (linear)")
    return out, at_goal


def targets(results: dict, gh_deploys: list[Timings], storm: Storm, mem_at_goal: float, goal_reached: bool, deploy_level: int,
            goal: int) -> list[str]:
    rows = ["| target | measured | met |", "|---|---|---|"]

    def row(what: str, measured: str, ok: bool) -> None:
        rows.append(f"| {what} | {measured} | {'yes' if ok else '**no**'} |")

    for key, label in (("h1-small", "HTTP/1.1 small"), ("h1-16k", "HTTP/1.1 16 KiB"), ("h2-small", "HTTP/2 small"), ("h2-16k", "HTTP/2 16 KiB")):
        r = results[key]
        best = best_peer(r, _rps)
        g, n = r.median("gatehouse", _rps), r.median(best, _rps)
        row(f"requests/s ≥ 1.0x the best peer, {label}", f"{_ratio(g, n)} of {TITLES[best]} ({g:.0f} / {n:.0f})", g >= n)
    # With the consumers' key check and a rate limit on (the keyed route), the figure that counts.
    for key, label in (("h1-small", "HTTP/1.1 small"), ("h2-small", "HTTP/2 small")):
        r = results[key]
        if not r.values("gatehouse-key", _rps):
            continue
        best, best_cpu = best_peer(r, _rps), best_peer(r, _cpu, lowest=True)
        g, n = r.median("gatehouse-key", _rps), r.median(best, _rps)
        row(f"requests/s ≥ 1.0x the best peer, {label}, key check and rate limit on", f"{_ratio(g, n)} of {TITLES[best]} ({g:.0f} / {n:.0f})", g >= n)
        g, n = r.median("gatehouse-key", _cpu), r.median(best_cpu, _cpu)
        row(f"CPU s per 100k ≤ the best peer's, {label}, key check and rate limit on", f"{_ratio(g, n)} of {TITLES[best_cpu]} ({g:.2f} / {n:.2f})", g <= n)
    row(*new_connections_target(results["newconn"]))
    for key, label in (("lat-h1", "HTTP/1.1"), ("lat-h2", "HTTP/2")):
        r = results[key]
        best = best_peer(r, _lat("p99"), lowest=True)
        g, n = _added_p99(r, "gatehouse"), _added_p99(r, best)
        of = f" of {TITLES[best]}" if n > 0 else ""
        row(f"added p99 ≤ 0.8x the best peer's, {label}", f"{_added_ratio(g, n, best)}{of} ({g:.2f} ms / {n:.2f} ms)", g <= 0.8 * n)
    at = [t for t in gh_deploys if t.label == f"Gatehouse deploy, {deploy_level} live"]
    if at:
        row(f"deploy-to-live < 50 ms at {deploy_level} live proxies (median)", f"median {at[0].median:.1f} ms, max {at[0].max:.1f} ms", at[0].median < 50)
    wr, we = storm.total(storm.wrk)
    hr, he = storm.total(storm.h2)
    row(f"zero failed requests through the storm of {storm.deploys} deploys", f"{we + he} of {wr + hr}; {len(storm.failed_deploys)} failed deploys",
        we + he == 0 and not storm.failed_deploys)
    row(f"RSS < 100 MB at {goal:,} proxies", f"{mem_at_goal:.0f} MB{'' if goal_reached else ' (extrapolated)'}", mem_at_goal < 100)
    return rows


# Below this share of its core, Gatehouse was not what limited the new-connection rate.
LOAD_BOUND_BUSY = 0.70


def core_busy(r: CaseResult, target: str) -> float:
    """The share of its core a target kept busy in a case: CPU seconds per 100k times the rate."""
    return r.median(target, _cpu) * r.median(target, _rps) / 100_000


def new_connections_target(r: CaseResult) -> tuple[str, str, bool]:
    """New TLS connections per second are bounded by the load generator, which does its own TLS
    handshake per connection on the other core: while Gatehouse's core is under 70% busy, the
    rate says little about Gatehouse, so the target is its CPU per connection against the best
    peer's, and the row says why. The target, what was measured, and whether it was met."""
    busy = core_busy(r, "gatehouse")
    if math.isnan(busy) or busy >= LOAD_BOUND_BUSY:
        best = best_peer(r, _rps)
        g, n = r.median("gatehouse", _rps), r.median(best, _rps)
        return (f"requests/s ≥ 1.0x the best peer, new TLS connections (Gatehouse's core {busy:.0%} busy)",
                f"{_ratio(g, n)} of {TITLES[best]} ({g:.0f} / {n:.0f})", g >= n)
    best = best_peer(r, _cpu, lowest=True)
    g, n = r.median("gatehouse", _cpu), r.median(best, _cpu)
    return (f"CPU per new TLS connection ≤ the best peer's (the rate is the load generator's limit: Gatehouse's core "
            f"{busy:.0%} busy, under {LOAD_BOUND_BUSY:.0%})",
            f"{_ratio(g, n)} of {TITLES[best]} ({g / 100:.3f} ms / {n / 100:.3f} ms per connection; "
            f"{r.median('gatehouse', _rps):.0f} / {r.median(best, _rps):.0f} per s)", g <= n)


def paired_table(results: dict, keys: tuple, base: str, other: str, header: str) -> list[str]:
    """`other` against `base` (two Gatehouse routes run side by side in each repeat), for the
    cases in `keys` that ran both: the medians, their ratio and the per-repeat range."""
    out = [header, "|---|---:|---:|---:|---:|"]
    for key in keys:
        r = results.get(key)
        if not r or not r.samples.get(other):
            continue
        rps = lambda x: x.load.rps  # noqa: E731
        plain, measured = r.median(base, rps), r.median(other, rps)
        pairs = [m / p for m, p in zip(r.values(other, rps), r.values(base, rps)) if p]
        spread = f"{min(pairs):.2f}–{max(pairs):.2f}" if len(pairs) > 1 else "–"
        out.append(f"| {r.case.title} | {plain:.0f} | {measured:.0f} | **{measured / plain:.2f}x** | {spread} |")
    return out


def policy_lines(results: dict) -> list[str]:
    """The JSON cases: the route with remove-fingerprinting + mask-backend-URLs against the same
    route with no policies."""
    header = "| case | Gatehouse, no policies | with the policies | policies / none | per repeat |"
    return paired_table(results, ("h1-json", "h2-json"), "gatehouse", "gatehouse-policies", header)
