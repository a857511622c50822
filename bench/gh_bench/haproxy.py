"""HAProxy from Debian's package as a peer gateway: its configuration written into its own
directory, run in the foreground (`-db`) as the current user on a port chosen at run time,
one thread (`nbthread 1`) pinned to the proxy core like the nginx peer; no logging.

The listener: TLS 1.2/1.3 with the peer certificate, ALPN h2 and http/1.1. `/bench/…` goes to
the backend's root over mutual TLS (the client certificate, the bench CA, `verify required`, SNI
and `verifyhost` localhost), with `http-reuse always` and an unbounded idle pool kept for 300 s,
adding the X-Forwarded-*/X-Request-Id headers the nginx peer and Gatehouse add. The routes of
refusals.py sit beside it; `/bench` is matched first, so measured requests evaluate one rule."""
import os
import subprocess

from . import BenchError, procs
from .pki import Pki

# One server line per backend: the refusal routes differ from /bench only where refusals.py says.
_SERVER_TLS = "ssl verify required ca-file {ca} sni str(localhost) verifyhost localhost"


def _backend(name: str, prefix: str, port: int, pki: Pki, client_cert: bool, extra: str = "") -> str:
    tls = _SERVER_TLS.format(ca=pki.path("ca.pem"))
    crt = f" crt {pki.path('client.full.pem')}" if client_cert else ""
    return f"""backend {name}
  http-request replace-path ^{prefix}(/.*)$ \\1
  server b 127.0.0.1:{port} {tls}{crt}{extra}
"""


def conf(pki: Pki, port: int, backend_port: int, context: str, refusals: list = ()) -> str:
    """`context` ("/bench") proxies to the backend's root; `refusals` (refusals.Route) each to
    their listener, without retries (a refusal is the answer, not a glitch to retry)."""
    uses = [f"  use_backend bench if {{ path_beg {context}/ }}"]
    uses += [f"  use_backend {r.prefix[1:]} if {{ path_beg {r.prefix}/ }}" for r in refusals]
    backends = ("# The context path stripped: /bench/small is the backend's /small (as nginx's proxy_pass …/).\n"
                + _backend("bench", context, backend_port, pki, True, " pool-purge-delay 300s"))
    if refusals:
        backends += "\n# Only for the checks (refusals.py): each must fail.\n"
        backends += "".join(_backend(r.prefix[1:], r.prefix, r.port, pki, r.client_cert) + "  retries 0\n" for r in refusals)
    return f"""global
  nbthread 1
  maxconn 8192
  # nginx's ssl_protocols on both sides: TLS 1.2 and 1.3.
  ssl-default-bind-options ssl-min-ver TLSv1.2
  ssl-default-server-options ssl-min-ver TLSv1.2
  # No `log` line: nothing is logged.

defaults
  mode http
  maxconn 8192
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  timeout http-request 10s

frontend peer
  bind 127.0.0.1:{port} ssl crt {pki.path('peer.full.pem')} alpn h2,http/1.1
  # What Gatehouse adds to every proxied request (and the nginx peer), so all do the same work.
  option forwardfor
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Request-Id %[uuid]
  http-request set-header Host localhost
{chr(10).join(uses)}

{backends}"""


class HAProxy:
    """One haproxy process (one thread), pinned to `core`."""

    def __init__(self, prefix: str, core: str):
        self.name, self.prefix, self.core = "haproxy", prefix, core
        self.conf = os.path.join(prefix, "haproxy.cfg")
        self.proc: procs.Proc | None = None

    def write(self, text: str) -> None:
        os.makedirs(self.prefix, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(text)
        test = subprocess.run([procs.require("haproxy"), "-c", "-q", "-f", self.conf], capture_output=True, text=True)
        if test.returncode != 0:
            raise BenchError(f"haproxy refused its configuration: {(test.stderr or test.stdout).strip()}")

    def start(self, port: int) -> None:
        self.proc = procs.Proc("haproxy", procs.pinned(self.core, [procs.require("haproxy"), "-db", "-f", self.conf]),
                               log=os.path.join(self.prefix, "stderr.log"))
        procs.wait_port(port)
        self.proc.check_alive()

    def pids(self) -> list[int]:
        assert self.proc
        return procs.family(self.proc.pid)

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
