"""A single HTTPS client that verifies the server's certificate, for checks and for polling a
path until it first answers 200 (deploy-to-live, nginx reload)."""
import http.client
import ssl
import time

from . import BenchError


class Probe:
    def __init__(self, port: int, cafile: str | None = None, cadata: str | None = None,
                 hostname: str = "127.0.0.1", cert: tuple[str, str] | None = None):
        self.ctx = ssl.create_default_context(cafile=cafile, cadata=cadata)
        if cert:
            self.ctx.load_cert_chain(*cert)
        self.port, self.hostname = port, hostname
        self.conn: http.client.HTTPSConnection | None = None
        self.reconnects = 0

    def _connection(self) -> http.client.HTTPSConnection:
        if self.conn is None:
            # The certificate is verified for `hostname` (an IP address SAN for 127.0.0.1).
            self.conn = http.client.HTTPSConnection(self.hostname, self.port, context=self.ctx, timeout=10)
            self.reconnects += 1
        return self.conn

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        """Status and body; a connection that fails is reopened once (nginx closes idle
        keep-alive connections when it reloads)."""
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request("GET", path, headers=headers or {})
                res = conn.getresponse()
                body = res.read()
                if res.will_close:
                    self.close()
                return res.status, body
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def expect_200(self, path: str, body_len: int | None = None, headers: dict | None = None) -> bytes:
        status, body = self.get(path, headers)
        if status != 200:
            raise BenchError(f"GET {path} on port {self.port} answered {status}: {body[:300]!r}")
        if body_len is not None and len(body) != body_len:
            raise BenchError(f"GET {path} on port {self.port} gave {len(body)} bytes, not {body_len}")
        return body

    def first_200(self, path: str, timeout: float = 30.0) -> tuple[float, int]:
        """Polls until `path` answers 200, each time on a new connection (after a reload nginx's
        old worker keeps serving the connections it has for another 100 ms, while new
        connections may already reach the new worker): the monotonic time of the 200 and the
        polls made."""
        deadline = time.monotonic() + timeout
        polls = 0
        while True:
            polls += 1
            self.close()
            try:
                status, _ = self.get(path)
            except (OSError, http.client.HTTPException):
                status = 0
            now = time.monotonic()
            if status == 200:
                return now, polls
            if now > deadline:
                raise BenchError(f"GET {path} on port {self.port} never answered 200 within {timeout:.0f} s (last {status})")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
