// Seed 004, Step 4 and "Change the certificate for the production environment", clicked
// through with JavaScript on and off against two real mutual-TLS backends on loopback: one for
// Development trusting a generated key pair, one for Production trusting an uploaded one.
import { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import * as fs from "node:fs";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { selfSigned } from "./pki";
import { server } from "./servers";
import { signIn } from "./session";

const PROJECT = "weather-apis"; // created by 01-foundation
const PROXY = `/projects/${PROJECT}/proxies/forecast-api-v1`;

async function configure(card: Locator) {
  const details = card.locator("details.configure");
  if ((await details.getAttribute("open")) === null) await card.getByText("Configure", { exact: true }).click();
  await expect(details).toHaveAttribute("open", "");
}

/** A backend that requires a client certificate equal to `clientPem`, answering "<label> <path>". */
async function backend(pair: { cert: string; key: string }, clientPem: string, label: string): Promise<[https.Server, number]> {
  const srv = https.createServer(
    { key: fs.readFileSync(pair.key), cert: fs.readFileSync(pair.cert), ca: [clientPem], requestCert: true, rejectUnauthorized: true },
    (req, res) => res.end(`${label} ${req.url}`),
  );
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return [srv, (srv.address() as AddressInfo).port];
}

/** GET through the gateway, trusting its listener certificate. */
function call(url: string, ca: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve([res.statusCode ?? 0, body]));
    }).on("error", reject);
  });
}

async function nav(page: Page, link: string) {
  await page.getByRole("navigation", { name: "API proxy" }).getByRole("link", { name: link, exact: true }).click();
}

/** Sends GET /today from the Test page through `environment`'s gateway and expects `answer`. */
async function sendFromTestPage(page: Page, environment: string, answer: string) {
  await nav(page, "Test");
  await page.getByLabel("Environment").selectOption(environment);
  await page.getByLabel("Path (after the context path)").fill("/today");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByText("HTTP 200").first()).toBeVisible();
  await expect(page.getByText(answer).first()).toBeVisible();
  await nav(page, "Deploy");
}

/** Waits for the console to be hydrated (so forms submit through JavaScript, not a post),
 * then marks the document, so `expectSameDocument` can tell it was not reloaded since. */
async function markDocument(page: Page) {
  await expect(page.locator(".console")).toHaveAttribute("data-hydrated", "true");
  await page.evaluate(() => document.documentElement.setAttribute("data-e2e-same-document", ""));
}

async function expectSameDocument(page: Page) {
  await expect(page.locator("html[data-e2e-same-document]"), "the page was not reloaded").toHaveCount(1);
}

async function download(page: Page, link: Locator, file: string): Promise<string> {
  const promise = page.waitForEvent("download");
  await link.click();
  await (await promise).saveAs(file);
  return fs.readFileSync(file, "utf8");
}

test("deploy to Development, promote to Production with its own certificate, roll back, undeploy", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const js = testInfo.project.name === "js";
  await signIn(page, gh.base);
  const servers: https.Server[] = [];
  try {
    // A proxy whose backend certificate is uploaded once for both environments.
    await page.goto(`${gh.base}/projects/${PROJECT}/new-proxy`);
    await page.getByLabel("Name", { exact: true }).fill("Forecast API");
    await page.getByLabel("Context path").fill("/forecast/v1");
    await page.getByLabel("Backend URL").fill("https://127.0.0.1:9/forecast");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText("Created Forecast API v1");
    const tls = selfSigned("forecast-backend", ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
    await page.locator("#endpoint-upload-file").setInputFiles(tls.cert);
    await page.getByRole("button", { name: "Upload Endpoint Certificate" }).click();
    await expect(page.getByTestId("flash")).toContainText("now the endpoint certificate for Development and Production");

    // Development: a generated key pair, given to the Development backend.
    const dev = page.getByTestId("endpoint-development");
    await configure(dev);
    await dev.getByText("Add Client Certificate", { exact: true }).click();
    await dev.getByRole("dialog", { name: "Add Client Certificate Pair" }).getByLabel("Common name").fill("fc-dev");
    await dev.getByRole("button", { name: "Generate", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText('Generated the key pair "fc-dev"');
    await configure(dev);
    const devRow = dev.locator(".existing-certificate").filter({ hasText: "fc-dev" });
    await devRow.getByLabel("More options for fc-dev").click();
    const devPem = await download(page, devRow.getByRole("link", { name: "Download PEM" }), path.join(testInfo.outputDir, "fc-dev.pem"));
    const [devServer, devPort] = await backend(tls, devPem, "development");
    servers.push(devServer);
    await dev.getByLabel("Backend URL").fill(`https://127.0.0.1:${devPort}/forecast`);
    await dev.getByRole("switch", { name: "Mutual SSL" }).check();
    await devRow.getByRole("radio", { name: /fc-dev/ }).check();
    await dev.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint");

    // Production: its own key pair, uploaded, given to the Production backend; its URL saved.
    const own = selfSigned("fc-prod");
    const [prodServer, prodPort] = await backend(tls, fs.readFileSync(own.cert, "utf8"), "production");
    servers.push(prodServer);
    const prod = page.getByTestId("endpoint-production");
    await configure(prod);
    await prod.getByText("Add Client Certificate", { exact: true }).click();
    const dialog = prod.getByRole("dialog", { name: "Add Client Certificate Pair" });
    await dialog.getByText("Use my own key pair").click();
    await dialog.getByLabel("Private key file").setInputFiles(own.key);
    await dialog.locator("#production-own-cert-file").setInputFiles(own.cert);
    await dialog.getByRole("button", { name: "Add", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText('Added the client key pair "fc-prod"');
    await configure(prod);
    await prod.getByLabel("Backend URL").fill(`https://127.0.0.1:${prodPort}/forecast`);
    await prod.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved the Production endpoint");

    // Step 4: Deploy → Development card → Configure & Deploy → Save & Deploy.
    await nav(page, "Deploy");
    // The proxy's header: a status badge per environment.
    const devStatus = page.getByTestId("env-status-development");
    const prodStatus = page.getByTestId("env-status-production");
    await expect(devStatus).toContainText("Not deployed");
    await expect(prodStatus).toContainText("Not deployed");
    const devCard = page.getByTestId("deploy-development");
    await devCard.getByText("Configure & Deploy").click();
    await expect(devCard).toContainText(`https://127.0.0.1:${devPort}/forecast`);
    if (js) await markDocument(page);
    await devCard.getByRole("button", { name: "Save & Deploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Deployed revision 1 of Forecast API v1: live in Development");
    await expect(devCard.getByTestId("live-revision")).toContainText("Revision 1 is live");
    // The header follows: with JavaScript without a reload, without it after the form's post.
    await expect(devStatus).toContainText("Deployed · revision 1");
    await expect(prodStatus).toContainText("Not deployed");
    if (js) await expectSameDocument(page);
    const devUrl = await devCard.getByLabel("Invoke URL").inputValue();
    if (js) {
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: gh.base });
      await devCard.getByRole("button", { name: "Copy" }).click();
      await expect(devCard.getByRole("button", { name: "Copied" })).toBeVisible();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(devUrl);
    }
    const gatewayPem = await page.request.get(`${gh.base}/environments/development/gateway.pem`).then((r) => r.text());
    expect(await call(`${devUrl}/today`, gatewayPem)).toEqual([200, "development /forecast/today"]);

    // The Test page sends it through the real Development gateway and shows the backend's answer.
    await sendFromTestPage(page, "development", "development /forecast/today");

    // Promote → Configurations → Mutual TLS: choose fc-prod for Production → Promote.
    await devCard.locator("summary", { hasText: "Promote" }).click();
    const pane = devCard.getByRole("dialog", { name: "Configurations" });
    await expect(pane.getByText("Endpoint Configuration")).toBeVisible();
    await pane.getByRole("group", { name: "Mutual TLS" }).getByLabel("fc-prod").check();
    await pane.getByRole("button", { name: "Promote" }).click();
    await expect(page.getByTestId("flash")).toContainText("Promoted revision 1 from Development as revision 2 of Forecast API v1: live in Production");
    const prodCard = page.getByTestId("deploy-production");
    await expect(prodCard.getByTestId("live-revision")).toContainText("Revision 2 is live");
    await expect(prodStatus).toContainText("Deployed · revision 2");
    const prodUrl = await prodCard.getByLabel("Invoke URL").inputValue();
    const prodPem = await page.request.get(`${gh.base}/environments/production/gateway.pem`).then((r) => r.text());
    expect(await call(`${prodUrl}/today`, prodPem)).toEqual([200, "production /forecast/today"]);

    // Test: a request through the real Production gateway, from the console.
    await sendFromTestPage(page, "production", "production /forecast/today");

    // Roll back: a new Development revision with another backend path, then Redeploy revision 1.
    await nav(page, "Endpoints");
    await configure(dev);
    await dev.getByLabel("Backend URL").fill(`https://127.0.0.1:${devPort}/forecast-next`);
    await dev.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint");
    await nav(page, "Deploy");
    await devCard.getByText("Configure & Deploy").click();
    await expect(devCard.getByTestId("pending-changes")).toContainText("/forecast-next");
    await devCard.getByRole("button", { name: "Save & Deploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Deployed revision 3 of Forecast API v1: live in Development");
    await expect(devStatus).toContainText("Deployed · revision 3");
    expect(await call(`${devUrl}/today`, gatewayPem)).toEqual([200, "development /forecast-next/today"]);
    const first = devCard.getByTestId("revision-list").getByRole("row").filter({ hasText: "Revision 1" });
    await first.locator("summary", { hasText: "Redeploy" }).click();
    await expect(first.getByText("Make revision 1 live again?")).toBeVisible();
    await first.getByRole("button", { name: "Yes, redeploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Redeployed revision 1 of Forecast API v1: live in Development");
    await expect(devCard.getByTestId("live-revision")).toContainText("Revision 1 is live");
    await expect(devStatus).toContainText("Deployed · revision 1");
    expect(await call(`${devUrl}/today`, gatewayPem)).toEqual([200, "development /forecast/today"]);

    // Undeploy Production, after confirming: its callers get no_route.
    await prodCard.locator("summary", { hasText: "Undeploy" }).click();
    await prodCard.getByRole("button", { name: "Yes, undeploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Undeployed Forecast API v1 from Production");
    const [status, body] = await call(`${prodUrl}/today`, prodPem);
    expect(status).toBe(404);
    expect(JSON.parse(body).error.code).toBe("no_route");
    await expect(page.getByTestId("deploy-production").getByTestId("live-revision")).toContainText("Nothing is live here.");
    await expect(prodStatus).toContainText("Not deployed");
    await expect(devStatus).toContainText("Deployed · revision 1");
  } finally {
    servers.forEach((s) => s.close());
  }
});
