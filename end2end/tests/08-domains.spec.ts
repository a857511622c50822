// Issue 21 in the console, clicked through with JavaScript on and off: an administrator adds a
// custom domain to Development by uploading its chain and key (a chain missing its
// intermediate is refused first, named), the deploy card's invoke URL becomes the domain's, an
// API is called through the real gateway by that name trusting only the domain's root, and the
// domain is deleted after a confirmation.
import { expect, test } from "./fixtures";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { openssl } from "./pki";
import { server } from "./servers";
import { signIn } from "./session";

const PROJECT = "weather-apis"; // created by 01-foundation
const HOST = "api.example.test";

/** A root, an intermediate and a server certificate for HOST it issued, made with openssl now. */
function domainPki(): { dir: string; root: string; intermediate: string; leaf: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-domain-"));
  const f = (name: string) => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(["req", "-x509", ...ec, "-subj", "/CN=Domain Root", "-days", "30", "-keyout", f("root.key"), "-out", f("root.crt"),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  openssl(["req", "-new", ...ec, "-subj", "/CN=Domain Intermediate", "-keyout", f("int.key"), "-out", f("int.csr")]);
  fs.writeFileSync(f("int.cnf"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  openssl(["x509", "-req", "-in", f("int.csr"), "-CA", f("root.crt"), "-CAkey", f("root.key"), "-CAcreateserial",
    "-days", "30", "-extfile", f("int.cnf"), "-out", f("int.crt")]);
  openssl(["req", "-new", ...ec, "-subj", `/CN=${HOST}`, "-keyout", f("leaf.key"), "-out", f("leaf.csr")]);
  fs.writeFileSync(f("leaf.cnf"), `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${HOST}\n`);
  openssl(["x509", "-req", "-in", f("leaf.csr"), "-CA", f("int.crt"), "-CAkey", f("int.key"), "-CAcreateserial",
    "-days", "30", "-extfile", f("leaf.cnf"), "-out", f("leaf.crt")]);
  const read = (name: string) => fs.readFileSync(f(name), "utf8");
  fs.writeFileSync(f("chain.pem"), read("leaf.crt") + read("int.crt") + read("root.crt"));
  return { dir, root: read("root.crt"), intermediate: read("int.crt"), leaf: read("leaf.crt"), key: read("leaf.key") };
}

async function backend(): Promise<[http.Server, number]> {
  const srv = http.createServer((req, res) => res.end(`hello ${req.url} via ${req.headers["host"]}`));
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return [srv, (srv.address() as AddressInfo).port];
}

/** GET by the domain's name, resolved to loopback, trusting only the domain's root, on a new connection each time. */
function callByName(url: string, ca: string): Promise<[number, string]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const lookup = (_host: string, options: any, cb: any) =>
    options && options.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4);
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, lookup, agent: false }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve([res.statusCode ?? 0, body]));
      })
      .on("error", reject);
  });
}

test("add a domain by upload, call the API through it, then delete it", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const pki = domainPki();
  const [srv, port] = await backend();
  try {
    await signIn(page, gh.base);
    // An open proxy, deployed to Development.
    await page.goto(`${gh.base}/projects/${PROJECT}/new-proxy`);
    await page.getByLabel("Name", { exact: true }).fill("Domain Demo");
    await page.getByLabel("Context path").fill("/demo/v1");
    await page.getByLabel("Backend URL").fill(`http://127.0.0.1:${port}/demo`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText("Created Domain Demo v1");
    const deployPage = `${gh.base}/projects/${PROJECT}/proxies/domain-demo-v1/deploy`;
    await page.goto(deployPage);
    const devCard = page.getByTestId("deploy-development");
    await devCard.getByText("Configure & Deploy").click();
    await devCard.getByRole("button", { name: "Save & Deploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("live in Development");
    const byAddress = await devCard.getByLabel("Invoke URL").inputValue();
    expect(byAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/demo\/v1$/);
    const gatewayPort = new URL(byAddress).port;

    // No domains yet.
    await page.goto(`${gh.base}/environments`);
    await expect(page.getByTestId("no-domains-development")).toContainText("No custom domains");

    // The leaf alone: refused, the missing intermediate named, nothing stored.
    let add = page.getByTestId("add-domain-development");
    await add.locator("summary").click();
    await add.getByLabel("Hostname").fill(HOST);
    await add.getByLabel("or paste the certificate chain").fill(pki.leaf);
    await add.getByLabel("or paste the private key").fill(pki.key);
    await add.getByRole("button", { name: "Add domain to Development" }).click();
    await expect(page.getByTestId("flash")).toContainText('is issued by "CN=Domain Intermediate", which is not in the chain');
    await expect(page.getByTestId("no-domains-development")).toBeVisible();

    // The whole chain and the key as files.
    add = page.getByTestId("add-domain-development");
    await add.locator("summary").click();
    await add.getByLabel("Hostname").fill(HOST);
    await add.getByLabel("Certificate chain file").setInputFiles(path.join(pki.dir, "chain.pem"));
    await add.getByLabel("Private key file").setInputFiles(path.join(pki.dir, "leaf.key"));
    await add.getByRole("button", { name: "Add domain to Development" }).click();
    const invoke = `https://${HOST}:${gatewayPort}`;
    await expect(page.getByTestId("flash")).toContainText(`${HOST} is live on the development gateway. Callers reach it at ${invoke}.`);
    const row = page.getByTestId("domains-development").getByRole("row", { name: new RegExp(HOST) });
    await expect(row).toContainText("CN=Domain Intermediate");
    await expect(row).toContainText("leaf and 1 intermediate");
    await expect(row).toContainText(/Expires in (29|30) days/); // a 30-day certificate: warned
    await expect(page.getByTestId("environment-list")).toContainText(invoke);

    // The deploy card gives the domain's URL, and the API answers by that name.
    await page.goto(deployPage);
    await expect(page.getByTestId("deploy-development").getByLabel("Invoke URL")).toHaveValue(`${invoke}/demo/v1`);
    const [status, body] = await callByName(`${invoke}/demo/v1/today`, pki.root);
    expect(status).toBe(200);
    expect(body).toMatch(/^hello \/demo\/today via /);

    // Deleted after a confirmation.
    await page.goto(`${gh.base}/environments`);
    const listed = page.getByTestId("domains-development").getByRole("row", { name: new RegExp(HOST) });
    await listed.getByText("Delete", { exact: true }).click();
    await listed.getByRole("button", { name: "Yes, delete" }).click();
    await expect(page.getByTestId("flash")).toContainText(`Deleted the domain ${HOST}`);
    await expect(page.getByTestId("no-domains-development")).toBeVisible();
    await expect(callByName(`${invoke}/demo/v1/today`, pki.root)).rejects.toThrow();
  } finally {
    srv.close();
  }
});
