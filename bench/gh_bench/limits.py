"""Subscription keys and rate limits: what a key and a limit cost on the hot path (the keyed
route beside the same route open, in the h1-small and h2-small cases), and how exactly the
limiter counts under saturation."""
from dataclasses import dataclass

from . import BenchError, loadgen
from .report import paired_table
from .stack import KEYED_CONTEXT, Stack

LIMIT, WINDOW = 1000, 10


@dataclass
class Accuracy:
    limit: int
    window: int
    seconds: float
    requests: int
    allowed: int
    refused: int

    @property
    def off_by(self) -> float:
        return (self.allowed - self.limit) / self.limit


def limiter_accuracy(stack: Stack, seconds: float, strict: bool) -> Accuracy:
    """A fresh subscription limited to LIMIT requests per WINDOW s, saturated by wrk for
    `seconds`, kept inside one window: the window opens with the first request, and a run of
    exactly WINDOW s ends a few milliseconds after it closed, when the next window's LIMIT may
    pass too (as with any limiter of N per S: 2,000 of 756,303 in such a run)."""
    key = stack.gatehouse.subscription_key("bench-keyed", LIMIT, WINDOW)
    url = f"https://127.0.0.1:{stack.gatehouse.dev_port}{KEYED_CONTEXT}/small"
    seconds = min(seconds, WINDOW - 1)
    load = loadgen.wrk(url, 64, seconds, headers=(f"api-key: {key}",))
    refused_n = loadgen.non_2xx(load)
    sockets = load.errors - refused_n
    result = Accuracy(LIMIT, WINDOW, seconds, load.requests, load.requests - refused_n, refused_n)
    if strict and (sockets or abs(result.off_by) > 0.01 or load.requests <= LIMIT):
        raise BenchError(f"the limiter let {result.allowed} of {load.requests} through at a limit of {LIMIT} per {WINDOW} s ({load.detail})")
    return result


def lines(results: dict, accuracy: Accuracy | None) -> list[str]:
    header = "| case | Gatehouse open | Gatehouse with key + rate limit | keyed / open | per repeat |"
    out = paired_table(results, ("h1-small", "h2-small"), "gatehouse", "gatehouse-key", header)
    if accuracy:
        out += ["", f"Limiter accuracy: a subscription limited to {accuracy.limit} requests per {accuracy.window} s, saturated by wrk "
                    f"(64 connections) for {accuracy.seconds:.0f} s, inside one window: {accuracy.requests} requests, **{accuracy.allowed} let through** "
                    f"({accuracy.off_by:+.1%} of the limit), {accuracy.refused} answered 429."]
    return out
