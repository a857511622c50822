"""Everything under test, started on loopback: the PKI, the mutual-TLS backend, the peer
gateways (nginx, HAProxy, Caddy) and Gatehouse with the same proxy deployed through its REST
API; then a check that each path answers 200 with the right body, that each peer refuses the
backends it must not trust (refusals.py) and that the backend really requires the client
certificate."""
import os
from dataclasses import dataclass

from . import BenchError, caddy, haproxy, nginx, pki, procs, refusals
from .gatehouse import Gatehouse
from .probe import Probe

CONTEXT = "/bench"
KEYED_CONTEXT = "/bench-keyed"
POLICIES_CONTEXT = "/bench-policies"
# The peer gateways, in the order of the tables.
PEERS = ("nginx", "haproxy", "caddy")
PEER_TITLES = {"nginx": "nginx", "haproxy": "HAProxy", "caddy": "Caddy"}


@dataclass
class Target:
    name: str  # "direct", a peer (PEERS), "gatehouse", "gatehouse-key", "gatehouse-policies", "baseline"
    port: int
    prefix: str  # "" direct, "/bench" proxied
    headers: tuple = ()  # sent with every request ("api-key: …" for the keyed route)
    keyed_only: bool = False  # runs only in the cases that compare keyed with open
    policies_only: bool = False  # runs only in the cases that compare policies with none

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{self.prefix}{path}"


def _check_headers(target: Target, probe: Probe) -> None:
    """The peer sends what Gatehouse sends: Host localhost, X-Forwarded-For/-Proto/-Host and an
    X-Request-Id (the backend's /headers echoes them)."""
    seen = dict(kv.split("=", 1) for kv in probe.expect_200(f"{target.prefix}/headers").decode().split())
    ok = (seen.get("host") == "localhost" and "127.0.0.1" in seen.get("xff", "") and seen.get("proto") == "https"
          and seen.get("xfh", "").startswith("127.0.0.1") and len(seen.get("rid", "")) >= 16)
    if not ok:
        raise BenchError(f"{target.name} does not send the headers Gatehouse sends: the backend saw {seen}")


class Stack:
    def __init__(self, workdir: str, binary: str, baseline: str | None = None):
        self.workdir = workdir
        self.pki = pki.make(os.path.join(workdir, "pki"))
        self.backend_port, self.direct_port = procs.free_port(), procs.free_port()
        # The backend's listeners with a certificate the peers must refuse (refusals.py).
        self.untrusted_port, self.wrongname_port = procs.free_port(), procs.free_port()
        self.refusals = refusals.routes(self.backend_port, self.untrusted_port, self.wrongname_port)
        self.backend = nginx.Nginx("backend", os.path.join(workdir, "backend"), procs.LOAD_CORE)
        self.peer_ports = {name: procs.free_port() for name in PEERS}
        self.peers = {"nginx": nginx.Nginx("peer", os.path.join(workdir, "nginx-peer"), procs.PROXY_CORE),
                      "haproxy": haproxy.HAProxy(os.path.join(workdir, "haproxy-peer"), procs.PROXY_CORE),
                      "caddy": caddy.Caddy(os.path.join(workdir, "caddy-peer"), procs.PROXY_CORE)}
        self.gatehouse: Gatehouse | None = None
        self._binary = binary
        self._baseline_binary = baseline
        self.baseline: Gatehouse | None = None
        self.started: list = []
        self.refused: dict = {}  # peer -> [(refusal route, status)] from the last check()

    @property
    def backend_url(self) -> str:
        # By name, so Gatehouse's hostname verification checks DNS:localhost like nginx's proxy_ssl_name.
        return f"https://localhost:{self.backend_port}"

    def start(self) -> None:
        os.makedirs(self.backend.prefix, exist_ok=True)
        self.backend.write(nginx.backend_conf(self.backend.prefix, self.pki, self.backend_port, self.direct_port,
                                              self.untrusted_port, self.wrongname_port))
        self.backend.start(self.backend_port)
        self.started.append(self.backend)
        for name in PEERS:
            peer = self.peers[name]
            peer.write(self._peer_conf(name))
            peer.start(self.peer_ports[name])
            self.started.append(peer)
        self.gatehouse = self._start_gatehouse(self._binary, "gatehouse-data")
        self.targets = [Target("direct", self.direct_port, ""),
                        *(Target(name, self.peer_ports[name], CONTEXT) for name in PEERS),
                        Target("gatehouse", self.gatehouse.dev_port, CONTEXT)]
        # The same proxy again behind a subscription key and a rate limit too high to trigger.
        key = self.gatehouse.keyed_route(KEYED_CONTEXT, self.backend_url, requests=1_000_000, per_seconds=1)
        self.targets.append(Target("gatehouse-key", self.gatehouse.dev_port, KEYED_CONTEXT, (f"api-key: {key}",), keyed_only=True))
        # And with remove-fingerprinting + mask-backend-URLs, for the JSON cases.
        self.gatehouse.policies_route(POLICIES_CONTEXT, self.backend_url)
        self.targets.append(Target("gatehouse-policies", self.gatehouse.dev_port, POLICIES_CONTEXT, policies_only=True))
        if self._baseline_binary:
            # An earlier build beside this one, the same proxy on the same backend.
            self.baseline = self._start_gatehouse(self._baseline_binary, "baseline-data")
            self.targets.append(Target("baseline", self.baseline.dev_port, CONTEXT))
        self.check()

    def _peer_conf(self, name: str) -> str:
        """The peer's configuration: /bench to the backend, and the routes it must refuse."""
        peer, port = self.peers[name], self.peer_ports[name]
        if name == "nginx":
            return nginx.peer_conf(peer.prefix, self.pki, port, self.backend_port, [CONTEXT], self.peer_refusals(name))
        if name == "haproxy":
            return haproxy.conf(self.pki, port, self.backend_port, CONTEXT, self.peer_refusals(name))
        return caddy.conf(peer.prefix, self.pki, port, self.backend_port, CONTEXT, self.peer_refusals(name))

    def peer_refusals(self, name: str) -> list:
        """The refusal routes `name` has: all, but nginx cannot drop its client certificate in one
        location (nginx.peer_conf), so its /no-cert is the backend's own check below."""
        return [r for r in self.refusals if r.client_cert or name != "nginx"]

    def target(self, name: str) -> Target:
        """The target called `name` (never by position: the list grows with peers and routes)."""
        for target in self.targets:
            if target.name == name:
                return target
        raise BenchError(f"no target {name}")

    def _start_gatehouse(self, binary: str, data_name: str) -> Gatehouse:
        """A Gatehouse on its own data dir with the bench proxy deployed to Development."""
        data = os.path.join(self.workdir, data_name)
        os.makedirs(data, exist_ok=True)
        gatehouse = Gatehouse(binary, data, procs.PROXY_CORE)
        self.started.append(gatehouse)
        gatehouse.setup(self.pki)
        gatehouse.create_proxy("bench", CONTEXT, self.backend_url)
        gatehouse.deploy("bench")
        return gatehouse

    def _gatehouse_of(self, target: Target) -> Gatehouse | None:
        """The Gatehouse behind `target`, or None for direct and the peers."""
        own = {"gatehouse": self.gatehouse, "gatehouse-key": self.gatehouse, "gatehouse-policies": self.gatehouse, "baseline": self.baseline}
        return own.get(target.name)

    def probe(self, target: Target) -> Probe:
        own = self._gatehouse_of(target)
        if own:
            return Probe(target.port, cadata=own.gateway_pem)
        return Probe(target.port, cafile=self.pki.path("ca.pem"))

    def check(self) -> None:
        """Every path answers 200 with the backend's bodies; each peer refuses what it must not
        trust; the backend refuses a client without the certificate and serves one with it."""
        for target in self.targets:
            p = self.probe(target)
            headers = dict(h.split(": ", 1) for h in target.headers)
            body = p.expect_200(f"{target.prefix}/small", headers=headers)
            if body.decode() != nginx.SMALL_BODY:
                raise BenchError(f"{target.name}: /small gave {body[:100]!r}")
            p.expect_200(f"{target.prefix}/16k", nginx.BIG_SIZE, headers=headers)
            if target.headers and p.get(f"{target.prefix}/small")[0] != 401:
                raise BenchError(f"{target.name}: a request without the key was not refused")
            json = p.expect_200(f"{target.prefix}/16k.json", headers=headers)
            origin = self.backend_url.encode()
            if target.policies_only:
                # Masked: not one backend URL left, each now the gateway's own.
                mine = f"https://127.0.0.1:{target.port}{target.prefix}".encode()
                if origin in json or json.count(mine) != nginx.JSON_URLS:
                    raise BenchError(f"{target.name}: /16k.json was not masked ({json.count(origin)} backend URLs left)")
            elif target.name != "direct" and json.count(origin) != nginx.JSON_URLS:
                raise BenchError(f"{target.name}: /16k.json gave {json.count(origin)} backend URLs, not {nginx.JSON_URLS}")
            if target.name in PEERS:
                _check_headers(target, p)
                self.refused[target.name] = refusals.check(target.name, p, self.peer_refusals(target.name))
            p.close()
        without = Probe(self.backend_port, cafile=self.pki.path("ca.pem"))
        status, body = without.get("/small")
        without.close()
        if status != 400 or b"certificate" not in body:
            raise BenchError(f"the backend served a client without a certificate ({status}): ssl_verify_client is not on")
        with_cert = Probe(self.backend_port, cafile=self.pki.path("ca.pem"), cert=(self.pki.path("client.pem"), self.pki.path("client.key")))
        with_cert.expect_200("/small")
        with_cert.close()
        self.check_alive()

    def check_alive(self) -> None:
        for thing in self.started:
            proc = thing.proc
            if proc is not None:
                proc.check_alive()

    def cpu_pids(self, target: Target) -> list[int]:
        """Whose CPU time a case on this target costs: the proxy's (for direct, the backend's)."""
        own = self._gatehouse_of(target)
        if own:
            return [own.pid]
        return (self.peers[target.name] if target.name in PEERS else self.backend).pids()

    def stop(self) -> None:
        for thing in reversed(self.started):
            try:
                thing.stop()
            except Exception as e:  # keep stopping the others
                print(f"bench: stopping {thing}: {e}")
