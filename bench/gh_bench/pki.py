"""The certificates of the benchmark, made with the openssl CLI (all ECDSA P-256, like the
gateway's own listener certificate, so every TLS hop does the same kind of work):

- a CA (`ca.pem`) that signs everything else;
- the backend's server certificate (`backend.pem`), SAN DNS:localhost and IP:127.0.0.1;
- the client certificate (`client.pem` + `client.key`) the backend requires, which nginx and
  Gatehouse both present;
- the peers' listener certificate (`peer.pem`), shared by nginx, HAProxy and Caddy;
- for HAProxy, which takes a certificate and its key in one file: `peer.full.pem` and
  `client.full.pem`;
- for the checks that each peer refuses a backend it must not trust: a second CA
  (`other-ca.pem`, trusted by nobody) and its certificate for localhost (`untrusted.pem`), and a
  certificate from the bench CA for another name (`wrongname.pem`, DNS:elsewhere.invalid only).
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


def _ca(d: str, name: str, cn: str) -> None:
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.ec.key", cwd=d)
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.ec.key", "-out", f"{name}.key", cwd=d)
    _openssl("req", "-x509", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-days", "365", "-sha256",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", f"{name}.pem", cwd=d)


def _leaf(d: str, name: str, cn: str, ext: str, ca: str = "ca") -> None:
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.ec.key", cwd=d)
    # PKCS#8, the form every consumer (nginx, Gatehouse's upload) accepts.
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.ec.key", "-out", f"{name}.key", cwd=d)
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-out", f"{name}.csr", cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(ext)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-days", "365", "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)


def _bundle(d: str, name: str) -> None:
    """`name`.full.pem: the certificate, then its key (HAProxy's `crt` takes both in one file)."""
    with open(os.path.join(d, f"{name}.full.pem"), "w") as out:
        for part in (f"{name}.pem", f"{name}.key"):
            with open(os.path.join(d, part)) as f:
                out.write(f.read())


def make(d: str) -> Pki:
    os.makedirs(d, exist_ok=True)
    _ca(d, "ca", "Gatehouse bench CA")
    server = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    _leaf(d, "backend", "localhost", server + "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _leaf(d, "peer", "bench peer", server + "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    client = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
    _leaf(d, "client", "gateway client", client)
    for name in ("peer", "client"):
        _bundle(d, name)
    # What every peer must refuse: the right name from a CA nobody trusts, and a trusted
    # certificate for a name other than localhost (and no IP address).
    _ca(d, "other-ca", "Some other CA")
    _leaf(d, "untrusted", "localhost", server + "subjectAltName=DNS:localhost,IP:127.0.0.1\n", ca="other-ca")
    _leaf(d, "wrongname", "elsewhere.invalid", server + "subjectAltName=DNS:elsewhere.invalid\n")
    return Pki(d)
