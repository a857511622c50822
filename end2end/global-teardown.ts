import * as fs from "node:fs";
import { SERVERS_FILE, ServerInfo } from "./tests/servers";

export default async function globalTeardown() {
  if (!fs.existsSync(SERVERS_FILE)) return;
  const servers: ServerInfo[] = JSON.parse(fs.readFileSync(SERVERS_FILE, "utf8"));
  for (const s of servers) {
    try {
      process.kill(s.pid, "SIGTERM");
    } catch {
      // already gone
    }
    fs.rmSync(s.dataDir, { recursive: true, force: true });
  }
  fs.rmSync(SERVERS_FILE, { force: true });
}
