"""The certificates of the benchmark, made with the openssl CLI (all ECDSA P-256, like the
gateway's own listener certificate, so every TLS hop does the same kind of work):

- a CA (`ca.pem`) that signs everything else;
- the backend's server certificate (`backend.pem`), SAN DNS:localhost and IP:127.0.0.1;
- the client certificate (`client.pem` + `client.key`) the backend requires, which nginx and
  Gatehouse both present;
- the nginx peer's listener certificate (`peer.pem`).
"""
import os
import subprocess
from dataclasses import dataclass

from . import BenchError


@dataclass
class Pki:
    dir: str

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def read(self, name: str) -> str:
        with open(self.path(name)) as f:
            return f.read()


def _openssl(*args: str, cwd: str) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"openssl {' '.join(args[:2])} failed: {done.stderr.strip()}")


def _leaf(d: str, name: str, cn: str, ext: str) -> None:
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.ec.key", cwd=d)
    # PKCS#8, the form every consumer (nginx, Gatehouse's upload) accepts.
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.ec.key", "-out", f"{name}.key", cwd=d)
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-out", f"{name}.csr", cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(ext)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "365", "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)


def make(d: str) -> Pki:
    os.makedirs(d, exist_ok=True)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.ec.key", cwd=d)
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ca.ec.key", "-out", "ca.key", cwd=d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Gatehouse bench CA", "-days", "365", "-sha256",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", "ca.pem", cwd=d)
    server = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    _leaf(d, "backend", "localhost", server + "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _leaf(d, "peer", "nginx peer", server + "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    client = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
    _leaf(d, "client", "gateway client", client)
    return Pki(d)
