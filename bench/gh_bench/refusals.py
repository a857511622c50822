"""What every peer gateway must refuse, checked through the running peer before anything is
measured: each peer's configuration has, beside `/bench`, one route per refusal, set up like
`/bench` (the same CA, name and client certificate) except for the one thing that is wrong:

- `/bad-ca`: a backend listener whose certificate (for localhost) comes from another CA;
- `/bad-name`: a backend listener whose certificate comes from the bench CA but names only
  elsewhere.invalid (the peer verifies the name localhost);
- `/no-cert`: the real backend, without the client certificate it requires.

A peer that verified nothing would answer 200 on the first two; one that never presented the
client certificate could not serve `/bench` at all, and `/no-cert` shows the backend tells
the two apart through that peer."""
from dataclasses import dataclass

from . import BenchError, nginx
from .probe import Probe


@dataclass
class Route:
    prefix: str  # "/bad-ca", proxied (prefix stripped) to the backend listener on `port`
    what: str  # what is wrong, for the error message
    port: int
    client_cert: bool  # presents the client certificate (all but /no-cert)


def routes(backend_port: int, untrusted_port: int, wrongname_port: int) -> list[Route]:
    return [Route("/bad-ca", "a backend certificate from another CA", untrusted_port, True),
            Route("/bad-name", "a backend certificate for another name than localhost", wrongname_port, True),
            Route("/no-cert", "no client certificate to a backend that requires one", backend_port, False)]


def refused(route: Route, status: int, body: bytes) -> bool:
    """A verification failure on the peer's side is a 5xx (502 nginx and Caddy, 503 HAProxy);
    the backend refuses a missing client certificate with its own 400, which the peer relays."""
    if nginx.SMALL_BODY.encode() in body:
        return False
    return status >= 500 if route.client_cert else status == 400 and b"certificate" in body


def check(name: str, probe: Probe, checked: list[Route]) -> list[tuple[str, int]]:
    """Each route through the peer `name` (on `probe`): fails unless refused; the statuses."""
    seen = []
    for route in checked:
        status, body = probe.get(f"{route.prefix}/small")
        if not refused(route, status, body):
            raise BenchError(f"{name} did not refuse {route.what} ({route.prefix}/small answered {status}: {body[:200]!r})")
        seen.append((route.prefix, status))
    return seen


def line(name: str, seen: list[tuple[str, int]]) -> str:
    """`haproxy: /bench 200; refused /bad-ca 503, …` for the output and RESULTS.md."""
    return f"{name}: /bench 200; refused " + ", ".join(f"{prefix} {status}" for prefix, status in seen)
