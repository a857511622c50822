"""Gatehouse benchmark harness: Gatehouse versus nginx, HAProxy and Caddy on the mutual-TLS path, on loopback only."""


class BenchError(Exception):
    """A step failed: a tool is missing, a request did not answer 200, output did not parse."""
