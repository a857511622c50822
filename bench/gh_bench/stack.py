"""Everything under test, started on loopback: the PKI, the mutual-TLS backend, the nginx peer
and Gatehouse with the same proxy deployed through its REST API; then a check that each path
answers 200 with the right body and that the backend really requires the client certificate."""
import os
from dataclasses import dataclass

from . import BenchError, nginx, pki, procs
from .gatehouse import Gatehouse
from .probe import Probe

CONTEXT = "/bench"
KEYED_CONTEXT = "/bench-keyed"
POLICIES_CONTEXT = "/bench-policies"


@dataclass
class Target:
    name: str  # "direct", "nginx", "gatehouse", "gatehouse-key"
    port: int
    prefix: str  # "" direct, "/bench" proxied
    headers: tuple = ()  # sent with every request ("api-key: …" for the keyed route)
    keyed_only: bool = False  # runs only in the cases that compare keyed with open
    policies_only: bool = False  # runs only in the cases that compare policies with none

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{self.prefix}{path}"


class Stack:
    def __init__(self, workdir: str, binary: str, baseline: str | None = None):
        self.workdir = workdir
        self.pki = pki.make(os.path.join(workdir, "pki"))
        self.backend_port, self.direct_port, self.peer_port = procs.free_port(), procs.free_port(), procs.free_port()
        self.backend = nginx.Nginx("backend", os.path.join(workdir, "backend"), procs.LOAD_CORE)
        self.peer = nginx.Nginx("peer", os.path.join(workdir, "peer"), procs.PROXY_CORE)
        self.gatehouse: Gatehouse | None = None
        self._binary = binary
        self._baseline_binary = baseline
        self.baseline: Gatehouse | None = None
        self.started: list = []

    @property
    def backend_url(self) -> str:
        # By name, so Gatehouse's hostname verification checks DNS:localhost like nginx's proxy_ssl_name.
        return f"https://localhost:{self.backend_port}"

    def start(self) -> None:
        os.makedirs(self.backend.prefix, exist_ok=True)
        self.backend.write(nginx.backend_conf(self.backend.prefix, self.pki, self.backend_port, self.direct_port))
        self.backend.start(self.backend_port)
        self.started.append(self.backend)
        self.peer.write(nginx.peer_conf(self.peer.prefix, self.pki, self.peer_port, self.backend_port, [CONTEXT]))
        self.peer.start(self.peer_port)
        self.started.append(self.peer)
        self.gatehouse = self._start_gatehouse(self._binary, "gatehouse-data")
        self.targets = [Target("direct", self.direct_port, ""), Target("nginx", self.peer_port, CONTEXT),
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
        """The Gatehouse behind `target`, or None for direct and nginx."""
        own = {"gatehouse": self.gatehouse, "gatehouse-key": self.gatehouse, "gatehouse-policies": self.gatehouse, "baseline": self.baseline}
        return own.get(target.name)

    def probe(self, target: Target) -> Probe:
        own = self._gatehouse_of(target)
        if own:
            return Probe(target.port, cadata=own.gateway_pem)
        return Probe(target.port, cafile=self.pki.path("ca.pem"))

    def check(self) -> None:
        """Every path answers 200 with the backend's bodies; the backend refuses a client
        without the certificate and serves one with it."""
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
        return (self.peer if target.name == "nginx" else self.backend).pids()

    def stop(self) -> None:
        for thing in reversed(self.started):
            try:
                thing.stop()
            except Exception as e:  # keep stopping the others
                print(f"bench: stopping {thing}: {e}")
