"""The Gatehouse binary under test, and the REST calls that configure it: a token, a project,
the CA as endpoint certificate, the client key pair, proxies with Mutual SSL and chain and
hostname verification on, and deploys to Development."""
import http.client
import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import BenchError, procs
from .pki import Pki

ADMIN_EMAIL = "bench@example.test"
ADMIN_PASSWORD = "a long benchmark password"
PROJECT = "bench"


class Gatehouse:
    def __init__(self, binary: str, data_dir: str, core: str, extra_env: dict | None = None, args: list | None = None):
        if not os.access(binary, os.X_OK):
            raise BenchError(f"no Gatehouse binary at {binary}: build it (make build) or pass --gatehouse PATH")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GATEHOUSE_DATA_DIR": data_dir,
            "GATEHOUSE_PORTAL_ADDR": "127.0.0.1:0",
            "GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR": "127.0.0.1:0",
            "GATEHOUSE_GATEWAY_PRODUCTION_ADDR": "127.0.0.1:0",
            "GATEHOUSE_ADMIN_EMAIL": ADMIN_EMAIL,
            "GATEHOUSE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "RUST_LOG": "warn",
            # One runtime worker on its one core, as nginx has one worker process.
            "TOKIO_WORKER_THREADS": "1",
            "GATEHOUSE_GATEWAY_THREADS": "1",
            **(extra_env or {}),
        }
        self.data_dir = data_dir
        self.proc = procs.Proc("gatehouse", procs.pinned(core, [binary, *(args or [])]), env=env, stdout=subprocess.PIPE,
                               log=os.path.join(data_dir, "stderr.log"))
        self.base, self.gateways = self._read_addresses()
        # Keep draining stdout (where its log goes) so the server never blocks on a full pipe.
        self.log_path = os.path.join(data_dir, "stdout.log")
        threading.Thread(target=self._drain, daemon=True).start()
        host, port = self.base.removeprefix("http://").rsplit(":", 1)
        self.portal = (host, int(port))
        self.token = ""
        self._local = threading.local()

    def _drain(self) -> None:
        with open(self.log_path, "ab") as log:
            for line in self.proc.popen.stdout:
                log.write(line)
                log.flush()

    def _read_addresses(self) -> tuple[str, dict[str, str]]:
        """The lines the server prints at start, exactly as server/tests/harness reads them."""
        base, gateways = None, {}
        deadline = time.monotonic() + 60
        while base is None or len(gateways) < 2:
            if time.monotonic() > deadline:
                raise BenchError("Gatehouse printed no addresses within 60 s")
            line = self.proc.popen.stdout.readline().decode(errors="replace")
            if not line:
                raise BenchError(f"Gatehouse exited before printing its addresses (status {self.proc.popen.wait()})")
            if line.startswith("Gatehouse gateway (") and "): " in line:
                name, url = line.removeprefix("Gatehouse gateway (").split("): ", 1)
                gateways[name] = url.strip()
            if line.startswith("Gatehouse console: "):
                base = line.removeprefix("Gatehouse console: ").strip()
            if line.startswith("Gatehouse node: "):  # `gatehouse gateway`: its health listener
                base = line.removeprefix("Gatehouse node: ").split()[0]
        return base, gateways

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def dev_port(self) -> int:
        return int(self.gateways["Development"].rsplit(":", 1)[1])

    def stop(self) -> None:
        self.proc.stop()

    # --- REST ---------------------------------------------------------------------------------

    def call(self, method: str, path: str, body=None, expect=(200, 201, 204)):
        """One REST call on this thread's kept-alive connection; the parsed JSON (or text).

        The portal closes a kept-alive connection that has been idle for its header timeout
        (GATEHOUSE_HEADER_TIMEOUT, as HAProxy's http-keep-alive timeout defaults to its
        http-request one), as the load phases between REST calls can last longer: a call that
        finds its reused connection closed before anything was answered is sent once more on a
        new one, as urllib3 does."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            reused = conn is not None
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(*self.portal, timeout=120)
            try:
                conn.request(method, f"/api/v1{path}", body=data, headers=headers)
                res = conn.getresponse()
                raw = res.read()
                break
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                self._local.conn = None
                conn.close()
                if not reused or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self._local.conn = None
                conn.close()
                raise
        text = raw.decode(errors="replace")
        if res.status not in expect:
            raise BenchError(f"{method} /api/v1{path} answered {res.status}: {text[:300]}")
        if res.getheader("Content-Type", "").startswith("application/json"):
            return json.loads(text)
        return text

    def setup(self, pki: Pki) -> None:
        """Token, project, the CA as the endpoint certificate, the client key pair."""
        self.token = self.call("POST", "/tokens", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "name": "bench"})["token"]
        self.call("POST", "/projects", {"name": "Bench", "slug": PROJECT})
        ca = self.call("POST", f"/projects/{PROJECT}/certificates", {"kind": "endpoint", "certificate_pem": pki.read("ca.pem")})
        self.endpoint_certificate_id = ca[0]["id"]
        client = self.call("POST", f"/projects/{PROJECT}/certificates",
                           {"kind": "client", "certificate_pem": pki.read("client.pem"), "private_key_pem": pki.read("client.key")})
        self.client_certificate_id = client[0]["id"]
        envs = self.call("GET", "/environments")
        dev = next(e for e in envs if e["slug"] == "development")
        self.gateway_pem = dev["gateway_certificate_pem"]

    def create_proxy(self, slug: str, context_path: str, backend_url: str) -> None:
        """A proxy whose Development endpoint uses Mutual SSL, chain and hostname verification."""
        self.call("POST", f"/projects/{PROJECT}/proxies",
                  {"name": slug, "slug": slug, "version": "v1", "context_path": context_path, "backend_url": backend_url})
        self.call("PUT", f"/projects/{PROJECT}/proxies/{slug}/endpoints/development", {
            "url": backend_url,
            "endpoint_certificate_ids": [self.endpoint_certificate_id],
            "verify_hostname": True,
            "verify_chain": True,
            "mutual_ssl": True,
            "client_certificate_id": self.client_certificate_id,
        })

    def keyed_route(self, context_path: str, backend_url: str, requests: int, per_seconds: int) -> str:
        """The bench proxy again at `context_path`, its access "subscription", deployed; a product
        granting it with a rate limit of `requests` per `per_seconds`; a subscription's key."""
        self.create_proxy("bench-keyed", context_path, backend_url)
        self.call("PATCH", f"/projects/{PROJECT}/proxies/bench-keyed", {"access": {"mode": "subscription"}})
        self.deploy("bench-keyed")
        return self.subscription_key("bench-keyed", requests, per_seconds)

    def policies_route(self, context_path: str, backend_url: str) -> None:
        """The bench proxy again at `context_path` with "remove fingerprinting headers" and
        "mask backend URLs", deployed."""
        self.create_proxy("bench-policies", context_path, backend_url)
        self.call("PUT", f"/projects/{PROJECT}/proxies/bench-policies/policies",
                  {"policies": [{"kind": "remove_fingerprinting_headers"}, {"kind": "mask_backend_urls"}]})
        self.deploy("bench-policies")

    def subscription_key(self, proxy: str, requests: int, per_seconds: int) -> str:
        """A new product granting `proxy` with this rate limit, and a subscription's key to it."""
        self.products = getattr(self, "products", 0) + 1
        product = self.call("POST", f"/projects/{PROJECT}/products", {
            "name": f"Bench {self.products}", "proxies": [proxy], "rate_limit": {"requests": requests, "per_seconds": per_seconds}})
        created = self.call("POST", f"/projects/{PROJECT}/subscriptions", {"name": f"Bench {self.products}", "product": product["slug"]})
        return created["primary_key"]

    def deploy(self, slug: str) -> dict:
        done = self.call("POST", f"/projects/{PROJECT}/proxies/{slug}/deployments", {"environment": "development"})
        if done.get("outcome") != "live":
            raise BenchError(f"deploying {slug} did not go live: {done}")
        return done

    def create_and_deploy_many(self, specs: list[tuple[str, str, str]], threads: int = 1) -> float:
        """Creates and deploys each (slug, context path, backend URL); the seconds it took."""
        start = time.monotonic()

        def one(spec):
            self.create_proxy(*spec)
            self.deploy(spec[0])

        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(one, specs):
                pass
        return time.monotonic() - start
