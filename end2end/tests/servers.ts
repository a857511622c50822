import * as path from "node:path";
import * as fs from "node:fs";
import { TestInfo } from "@playwright/test";

export interface ServerInfo {
  name: string;
  base: string;
  setupLink: string;
  pid: number;
  dataDir: string;
}

export const SERVERS_FILE = path.join(__dirname, "..", ".servers", "servers.json");

/** The gatehouse started for this test's project (JavaScript on or off). */
export function server(testInfo: TestInfo): ServerInfo {
  const servers: ServerInfo[] = JSON.parse(fs.readFileSync(SERVERS_FILE, "utf8"));
  const mine = servers.find((s) => s.name === testInfo.project.name);
  if (!mine) throw new Error(`no server for project ${testInfo.project.name}`);
  return mine;
}
