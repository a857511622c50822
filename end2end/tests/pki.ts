// Certificates made at test time with openssl: nothing is checked in.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Pair {
  dir: string;
  cert: string;
  key: string;
}

/** A self-signed ECDSA P-256 certificate and its key, as PEM files in a fresh directory. */
export function selfSigned(cn: string, extra: string[] = []): Pair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-pki-"));
  const cert = path.join(dir, `${cn}.crt`);
  const key = path.join(dir, `${cn}.key`);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-subj", `/CN=${cn}`, "-days", "90", "-keyout", key, "-out", cert, ...extra,
  ], { stdio: "ignore" });
  return { dir, cert, key };
}

export function openssl(args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8" });
}
