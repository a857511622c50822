"""The data-path cases: each runs against direct, the peer gateways (nginx, HAProxy, Caddy) and
Gatehouse back to back (the order rotating per repeat), each with a warm-up first, the same
connections and duration."""
import re
import statistics
from dataclasses import dataclass, field

from . import BenchError, loadgen, procs
from .stack import PEERS, Stack


@dataclass
class Settings:
    duration: float
    warmup: float
    repeats: int
    strict: bool  # smoke: any error fails the run
    # The latency cases' runs: a p99 is read from the slowest 1% of a run, and on this machine
    # slow requests come in clusters (a stall of a core delays the few requests in flight), so
    # a short run's p99 rests on a handful of stalls and moves by half from run to run.
    latency_duration: float = 0.0  # 0: `duration`


@dataclass
class Case:
    key: str
    title: str
    tool: str  # "wrk", "wrk-close", "h2load", "oha-h1", "oha-h2"
    path: str
    connections: int
    streams: int = 1
    rate_from: str = ""  # latency cases: half of the direct median of this case
    keyed: bool = False  # also run on the keyed route (subscription key + rate limit)
    policies: bool = False  # also run on the route with remove-fingerprinting + mask-backend-URLs


CASES = [
    Case("h1-small", "HTTP/1.1 keep-alive, small body (wrk)", "wrk", "/small", 64, keyed=True),
    Case("h1-16k", "HTTP/1.1 keep-alive, 16 KiB body (wrk)", "wrk", "/16k", 64),
    Case("h2-small", "HTTP/2, small body (h2load)", "h2load", "/small", 16, 8, keyed=True),
    Case("h2-16k", "HTTP/2, 16 KiB body (h2load)", "h2load", "/16k", 16, 8),
    Case("h1-json", "HTTP/1.1 keep-alive, 16 KiB JSON naming the backend (wrk)", "wrk", "/16k.json", 64, policies=True),
    Case("h2-json", "HTTP/2, 16 KiB JSON naming the backend (h2load)", "h2load", "/16k.json", 16, 8, policies=True),
    Case("newconn", "New TLS connections, keep-alive off (wrk)", "wrk-close", "/small", 16),
    Case("lat-h1", "HTTP/1.1 at half the lowest maximum (oha -q)", "oha-h1", "/small", 32, rate_from="h1-small"),
    Case("lat-h2", "HTTP/2 at half the lowest maximum (oha -q)", "oha-h2", "/small", 8, 4, rate_from="h2-small"),
]


@dataclass
class Sample:
    load: loadgen.Load
    cpu_per_100k: float


@dataclass
class CaseResult:
    case: Case
    rate: float = 0.0
    samples: dict = field(default_factory=dict)  # target name -> [Sample]

    def values(self, target: str, metric) -> list[float]:
        return [metric(s) for s in self.samples.get(target, [])]

    def median(self, target: str, metric) -> float:
        values = self.values(target, metric)
        return statistics.median(values) if values else float("nan")

    def errors(self, target: str) -> int:
        return sum(s.load.errors for s in self.samples.get(target, []))


def _load(case: Case, url: str, seconds: float, rate: float, headers: tuple = ()) -> loadgen.Load:
    if case.tool == "wrk":
        return loadgen.wrk(url, case.connections, seconds, headers=headers)
    if case.tool == "wrk-close":
        return loadgen.wrk(url, case.connections, seconds, close=True)
    if case.tool == "h2load":
        return loadgen.h2load(url, case.connections, case.streams, seconds, headers)
    if case.tool == "oha-h1":
        return loadgen.oha(url, case.connections, seconds, rate)
    if case.tool == "oha-h2":
        return loadgen.oha(url, case.connections, seconds, rate, http2=True, streams=case.streams)
    raise BenchError(f"unknown tool {case.tool}")


def run_case(stack: Stack, case: Case, s: Settings, rate: float, peak: procs.PeakRss, commands: list) -> CaseResult:
    targets = [t for t in stack.targets if (case.keyed or not t.keyed_only) and (case.policies or not t.policies_only)]
    result = CaseResult(case, rate, {t.name: [] for t in targets})
    for rep in range(s.repeats):
        n = len(targets)
        order = targets[rep % n:] + targets[:rep % n]
        for target in order:
            url = target.url(case.path)
            if s.warmup > 0:
                _load(case, url, s.warmup, rate, target.headers)
            pids = stack.cpu_pids(target)
            before = procs.cpu_seconds(pids)
            seconds = (s.latency_duration or s.duration) if case.rate_from else s.duration
            # Gatehouse's RSS is sampled under the saturating loads only: in a latency case the
            # sampler's wake-ups (every 50 ms) would fall in Gatehouse's runs alone.
            if target.name.startswith("gatehouse") and not case.rate_from:
                with peak:
                    load = _load(case, url, seconds, rate, target.headers)
            else:
                load = _load(case, url, seconds, rate, target.headers)
            cpu = procs.cpu_seconds(pids) - before
            stack.check_alive()
            if load.requests <= 0:
                raise BenchError(f"{case.key} via {target.name}: no request succeeded ({load.detail})")
            if load.errors and s.strict:
                raise BenchError(f"{case.key} via {target.name}: {load.errors} failed requests ({load.detail})")
            if rep == 0:
                commands.append(re.sub(r"gk_[0-9a-f]+", "gk_…", f"{target.name}: {' '.join(load.argv)}"))  # keys stay out of RESULTS.md
            result.samples[target.name].append(Sample(load, cpu / load.requests * 100_000))
            print(f"  {case.key:9} {target.name:9} rep {rep + 1}: {load.rps:9.0f} req/s"
                  + (f"  p50 {load.latency_ms['p50']:.2f} p99 {load.latency_ms['p99']:.2f} ms" if load.latency_ms else "")
                  + (f"  errors {load.errors} ({load.detail})" if load.errors else ""), flush=True)
    return result


def latency_rate(saturation: CaseResult) -> float:
    """Half the direct maximum, but no more than half the slowest proxy's maximum (of the peers
    and Gatehouse): above a proxy's capacity the percentiles measure only the queue (the proxy
    has one core, the direct path none of its own work to do)."""
    return min(saturation.median(t, lambda x: x.load.rps) for t in ("direct", *PEERS, "gatehouse")) / 2


def run_all(stack: Stack, s: Settings, commands: list, only: list[str] | None = None) -> tuple[dict, int]:
    """Every case (or those named in `only`); the results by key and Gatehouse's peak RSS (KiB)
    under load."""
    known = {c.key for c in CASES}
    unknown = [k for k in only or [] if k not in known]
    if unknown:
        raise BenchError(f"no such case: {', '.join(unknown)} (the cases: {', '.join(sorted(known))})")
    peak = procs.PeakRss(stack.gatehouse.pid)
    results: dict[str, CaseResult] = {}
    for case in CASES:
        if only and case.key not in only:
            continue
        rate = 0.0
        if case.rate_from:
            if case.rate_from not in results:
                raise BenchError(f"{case.key} takes its rate from {case.rate_from}: name both")
            rate = latency_rate(results[case.rate_from])
        print(f"case {case.key}: {case.title}" + (f" at {rate:.0f} req/s" if rate else ""), flush=True)
        results[case.key] = run_case(stack, case, s, rate, peak, commands)
    return results, peak.peak
