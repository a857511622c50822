// Starts one release-build gatehouse per Playwright project, each on a port chosen at run time
// with its own temporary data directory, and reads the one-time setup link it prints.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SERVERS_FILE, ServerInfo } from "./tests/servers";

const root = path.resolve(__dirname, "..");
const binary = path.join(root, "target", "release", "gatehouse");

function start(name: string): Promise<ServerInfo> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-e2e-${name}-`));
  const child = spawn(binary, [], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_PORTAL_ADDR: "127.0.0.1:0",
      GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR: "127.0.0.1:0",
      GATEHOUSE_GATEWAY_PRODUCTION_ADDR: "127.0.0.1:0",
      LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
      LEPTOS_ENV: "PROD",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
    detached: false,
  });
  return new Promise((resolve, reject) => {
    let base = "";
    let out = "";
    const timer = setTimeout(() => reject(new Error(`gatehouse (${name}) did not start:\n${out}`)), 30_000);
    child.on("exit", (code) => reject(new Error(`gatehouse (${name}) exited with ${code}:\n${out}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const console = out.match(/Gatehouse console: (\S+)/);
      const setup = out.match(/First run: create the administrator at (\S+)/);
      if (console) base = console[1];
      if (base && setup) {
        clearTimeout(timer);
        resolve({ name, base, setupLink: setup[1], pid: child.pid!, dataDir });
      }
    });
  });
}

export default async function globalSetup() {
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo leptos build --release\` (make test does).`);
  }
  const servers = await Promise.all([start("js"), start("no-js")]);
  fs.mkdirSync(path.dirname(SERVERS_FILE), { recursive: true });
  fs.writeFileSync(SERVERS_FILE, JSON.stringify(servers));
}
