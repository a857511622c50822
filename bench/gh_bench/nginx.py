"""nginx instances from Debian's package, each in its own prefix directory, run as the current
user in the foreground (`daemon off`) on ports chosen at run time; nothing under /etc is used.

- backend: the mutual-TLS backend (`ssl_verify_client on`): `/small` (a short fixed body),
  `/16k` (a 16 KiB file) and `/16k.json` (16 KiB of JSON naming the backend's own URL, for the
  policies case), `/headers` (the request headers a peer must set), HTTP/1.1, on 127.0.0.1 and
  [::1]; plus a second listener with the
  same content, HTTP/2 and no client certificate, for the direct baseline (wrk and h2load
  cannot present a client certificate); plus two more mutual-TLS listeners with a certificate
  each peer must refuse (refusals.py);
- peer: nginx as one of the gateways under comparison: TLS + HTTP/2 listener, proxy_ssl_* with
  the same client certificate, CA, chain and hostname verification, upstream keepalive.
"""
import os
import re
import subprocess

from . import BenchError, procs
from .pki import Pki

SMALL_BODY = "hello from the mutual-TLS backend\n"
BIG_SIZE = 16 * 1024
JSON_URLS = 8
# /headers: what a proxy sent, for the check that each peer sets the headers Gatehouse sets.
HEADERS_BODY = ("host=$host xff=$http_x_forwarded_for proto=$http_x_forwarded_proto xfh=$http_x_forwarded_host "
                "rid=$http_x_request_id")


def json_body(origin: str) -> bytes:
    """About 16 KiB of JSON: `JSON_URLS` items, each with a link on `origin` (the backend's own
    URL, which a gateway masking backend URLs rewrites) and padding."""
    pad = BIG_SIZE // JSON_URLS - 60 - len(origin)
    items = [f'{{"id":{i},"href":"{origin}/items/{i}","note":"{"n" * pad}"}}' for i in range(JSON_URLS)]
    return ("[" + ",".join(items) + "]").encode()


def version() -> tuple[int, ...]:
    out = subprocess.run([procs.require("nginx"), "-v"], capture_output=True, text=True).stderr
    m = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise BenchError(f"cannot read nginx's version from {out!r}")
    return tuple(int(x) for x in m.groups())


def _listen(addr: str, http2: bool) -> str:
    # `http2 on;` exists from 1.25.1; older releases (Debian 12 has 1.22) take it on `listen`.
    if not http2:
        return f"listen {addr} ssl;"
    if version() >= (1, 25, 1):
        return f"listen {addr} ssl; http2 on;"
    return f"listen {addr} ssl http2;"


def _head(prefix: str) -> str:
    user = "user root;" if os.geteuid() == 0 else ""  # workers may then read the files below
    tmp = os.path.join(prefix, "tmp")
    os.makedirs(tmp, exist_ok=True)
    temps = "\n".join(f"  {kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 8192; multi_accept on; }}
http {{
  access_log off;
{temps}
  default_type application/octet-stream;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  http2_max_concurrent_streams 256;
  # nginx before 1.23.4 leaves TLS 1.3 off by default; Gatehouse (rustls) speaks it.
  ssl_protocols TLSv1.2 TLSv1.3;
"""


def _content(prefix: str, pki: Pki, cert: str) -> str:
    """What every backend listener serves, with the certificate `cert` (a name in the PKI)."""
    return f"""    ssl_certificate {pki.path(cert + '.pem')};
    ssl_certificate_key {pki.path(cert + '.key')};
    location = /small {{ return 200 "{SMALL_BODY.strip()}\\n"; }}
    location = /16k {{ alias {prefix}/16k.bin; }}
    location = /16k.json {{ alias {prefix}/16k.json; default_type application/json; }}
    location = /headers {{ default_type text/plain; return 200 "{HEADERS_BODY}\\n"; }}
"""


def _mtls_server(prefix: str, pki: Pki, port: int, cert: str, ipv6: bool = False) -> str:
    """A listener that requires the client certificate from the bench CA."""
    v6 = f"\n    {_listen(f'[::1]:{port}', False)}" if ipv6 else ""
    return f"""  server {{
    {_listen(f'127.0.0.1:{port}', False)}{v6}
    ssl_verify_client on;
    ssl_client_certificate {pki.path('ca.pem')};
    ssl_verify_depth 2;
{_content(prefix, pki, cert)}  }}
"""


def backend_conf(prefix: str, pki: Pki, mtls_port: int, direct_port: int, untrusted_port: int, wrongname_port: int) -> str:
    """The mutual-TLS backend, the direct listener, and the two listeners the peers must refuse
    (refusals.py): the same backend presenting `untrusted.pem` and `wrongname.pem`."""
    with open(os.path.join(prefix, "16k.bin"), "wb") as f:
        f.write(b"x" * BIG_SIZE)
    with open(os.path.join(prefix, "16k.json"), "wb") as f:
        f.write(json_body(f"https://localhost:{mtls_port}"))
    return _head(prefix) + _mtls_server(prefix, pki, mtls_port, "backend", ipv6=True) + f"""  server {{
    {_listen(f'127.0.0.1:{direct_port}', True)}
{_content(prefix, pki, 'backend')}  }}
""" + _mtls_server(prefix, pki, untrusted_port, "untrusted") + _mtls_server(prefix, pki, wrongname_port, "wrongname") + "}\n"


def peer_conf(prefix: str, pki: Pki, port: int, backend_port: int, locations: list[str], refusals: list = ()) -> str:
    """`locations` are context paths such as "/bench"; each proxies to the backend's root.
    `refusals` (refusals.Route) add the routes the peer must refuse, each straight to its port.
    Only those with the client certificate: nginx cannot unset `proxy_ssl_certificate` in a
    location, and setting it per location would give each location its own SSL context (slower
    `nginx -s reload` with 1,000 locations than the plain configuration)."""
    locs = [f"    location {path}/ {{ proxy_pass https://backend_upstream/; }}" for path in locations]
    locs += [f"    location {r.prefix}/ {{ proxy_pass https://127.0.0.1:{r.port}/; }}" for r in refusals if r.client_cert]
    return _head(prefix) + f"""  upstream backend_upstream {{
    server 127.0.0.1:{backend_port};
    # As many idle connections as Gatehouse's pool keeps per route (256): with fewer than the
    # concurrent requests (128 streams in the HTTP/2 cases), nginx would close the extra ones
    # after each request and pay a mutual-TLS handshake to the backend each time.
    keepalive 256;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }}
  server {{
    {_listen(f'127.0.0.1:{port}', True)}
    ssl_certificate {pki.path('peer.pem')};
    ssl_certificate_key {pki.path('peer.key')};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host localhost;
    # What Gatehouse adds to every proxied request, so both do the same work.
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    proxy_set_header X-Request-Id $request_id;
    proxy_ssl_certificate {pki.path('client.pem')};
    proxy_ssl_certificate_key {pki.path('client.key')};
    proxy_ssl_trusted_certificate {pki.path('ca.pem')};
    proxy_ssl_verify on;
    proxy_ssl_verify_depth 2;
    proxy_ssl_name localhost;
    proxy_ssl_server_name on;
    proxy_ssl_session_reuse on;
    proxy_ssl_protocols TLSv1.2 TLSv1.3;
{chr(10).join(locs)}
  }}
}}
"""


class Nginx:
    """One nginx master (plus its one worker), pinned to `core`."""

    def __init__(self, name: str, prefix: str, core: str):
        self.name, self.prefix, self.core = name, prefix, core
        self.conf = os.path.join(prefix, "nginx.conf")
        self.proc: procs.Proc | None = None

    def _argv(self, *extra: str) -> list[str]:
        return [procs.require("nginx"), "-p", self.prefix, "-c", self.conf, "-e", os.path.join(self.prefix, "error.log"), *extra]

    def write(self, text: str) -> None:
        os.makedirs(self.prefix, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(text)
        test = subprocess.run(self._argv("-t", "-q"), capture_output=True, text=True)
        if test.returncode != 0:
            raise BenchError(f"nginx ({self.name}) refused its configuration: {test.stderr.strip()}")

    def start(self, port: int) -> None:
        self.proc = procs.Proc(f"nginx ({self.name})", procs.pinned(self.core, self._argv("-g", "daemon off;")),
                               log=os.path.join(self.prefix, "stderr.log"))
        procs.wait_port(port)
        self.proc.check_alive()

    def reload(self) -> None:
        done = subprocess.run(self._argv("-s", "reload"), capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"nginx -s reload ({self.name}) failed: {done.stderr.strip()}")

    def pids(self) -> list[int]:
        assert self.proc
        return procs.family(self.proc.pid)

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
