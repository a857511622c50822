"""Caddy from Debian's package as a peer gateway: a JSON configuration written into its own
directory, run in the foreground (`caddy run`) as the current user with `GOMAXPROCS=1`, pinned to
the proxy core like the nginx peer, on a port chosen at run time. No automatic HTTPS, no ACME,
no admin endpoint, no access log (the default logger only at WARN), its storage and config
directories inside its own directory.

The listener: TLS with the peer certificate, HTTP/1.1 and HTTP/2 (no HTTP/3). `/bench/…` goes,
the prefix stripped, to `reverse_proxy` on the backend over mutual TLS (the client certificate,
the bench CA, server name localhost) with a keep-alive pool of 256 idle connections kept for
300 s, setting Host and X-Request-Id (Caddy adds the X-Forwarded-* headers itself). The routes
of refusals.py follow it (routes are tried in order)."""
import json
import os
import subprocess

from . import BenchError, procs
from .pki import Pki


def _proxy(pki: Pki, port: int, client_cert: bool) -> dict:
    """reverse_proxy to 127.0.0.1:`port` over TLS verified against the bench CA for localhost."""
    tls = {"root_ca_pem_files": [pki.path("ca.pem")], "server_name": "localhost"}
    if client_cert:
        tls |= {"client_certificate_file": pki.path("client.pem"), "client_certificate_key_file": pki.path("client.key")}
    return {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": f"127.0.0.1:{port}"}],
        # X-Forwarded-For/-Proto/-Host are Caddy's own; the others as the nginx peer sets them.
        "headers": {"request": {"set": {"Host": ["localhost"], "X-Request-Id": ["{http.request.uuid}"]}}},
        "transport": {
            "protocol": "http",
            "versions": ["1.1"],
            "tls": tls,
            # Caddy keeps 32 idle connections per host by default: as many as Gatehouse (256).
            "keep_alive": {"enabled": True, "max_idle_conns": 256, "max_idle_conns_per_host": 256, "idle_timeout": "300s"},
        },
    }


def _route(prefix: str, proxy: dict) -> dict:
    """`prefix`/… with the prefix stripped (Caddyfile's handle_path)."""
    return {"match": [{"path": [f"{prefix}/*"]}], "terminal": True,
            "handle": [{"handler": "rewrite", "strip_path_prefix": prefix}, proxy]}


def conf(prefix: str, pki: Pki, port: int, backend_port: int, context: str, refusals: list = ()) -> str:
    routes = [_route(context, _proxy(pki, backend_port, True))]
    routes += [_route(r.prefix, _proxy(pki, r.port, r.client_cert)) for r in refusals]
    config = {
        "admin": {"disabled": True, "config": {"persist": False}},
        "storage": {"module": "file_system", "root": os.path.join(prefix, "data")},
        "logging": {"logs": {"default": {"level": "WARN"}}},
        "apps": {
            "tls": {"certificates": {"load_files": [{"certificate": pki.path("peer.pem"), "key": pki.path("peer.key"), "tags": ["peer"]}]}},
            "http": {"servers": {"peer": {
                "listen": [f"127.0.0.1:{port}"],
                "protocols": ["h1", "h2"],
                "automatic_https": {"disable": True},
                "tls_connection_policies": [{"certificate_selection": {"any_tag": ["peer"]}, "alpn": ["h2", "http/1.1"],
                                             "protocol_min": "tls1.2"}],
                "routes": routes,
            }}},
        },
    }
    return json.dumps(config, indent=2) + "\n"


class Caddy:
    """One caddy process with GOMAXPROCS=1, pinned to `core`."""

    def __init__(self, prefix: str, core: str):
        self.name, self.prefix, self.core = "caddy", prefix, core
        self.conf = os.path.join(prefix, "caddy.json")
        self.proc: procs.Proc | None = None

    def _env(self) -> dict:
        return {**os.environ, "GOMAXPROCS": "1", "HOME": self.prefix,
                "XDG_DATA_HOME": os.path.join(self.prefix, "data"), "XDG_CONFIG_HOME": os.path.join(self.prefix, "config")}

    def write(self, text: str) -> None:
        os.makedirs(self.prefix, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(text)
        test = subprocess.run([procs.require("caddy"), "validate", "--config", self.conf, "--adapter", ""],
                              capture_output=True, text=True, env=self._env())
        if test.returncode != 0:
            raise BenchError(f"caddy refused its configuration: {(test.stderr or test.stdout).strip()[-600:]}")

    def start(self, port: int) -> None:
        self.proc = procs.Proc("caddy", procs.pinned(self.core, [procs.require("caddy"), "run", "--config", self.conf, "--adapter", ""]),
                               env=self._env(), log=os.path.join(self.prefix, "stderr.log"))
        procs.wait_port(port)
        self.proc.check_alive()

    def pids(self) -> list[int]:
        assert self.proc
        return procs.family(self.proc.pid)

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
