// Seed 004, Steps 1 to 3, clicked through with JavaScript on and off: create an API proxy,
// upload the endpoint certificate, turn on Mutual SSL, generate a key pair from the Add Client
// Certificate dialog, download its PEM, associate it, save, reload and see it kept; then the
// same with "Use my own key pair", plus the warnings a publisher must not miss.
import { Locator } from "@playwright/test";
import { expect, test } from "./fixtures";
import * as fs from "node:fs";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { openssl, selfSigned } from "./pki";
import { server } from "./servers";
import { ADMIN, signIn } from "./session";

test.describe.configure({ mode: "serial" });

const PROJECT = "weather-apis"; // created by 01-foundation
const ENDPOINTS = `/projects/${PROJECT}/proxies/weather-api-v1/endpoints`;

/** Opens an environment card's Configure section unless it is open already. */
async function configure(card: Locator) {
  const details = card.locator("details.configure");
  if ((await details.getAttribute("open")) === null) await card.getByText("Configure", { exact: true }).click();
  await expect(details).toHaveAttribute("open", "");
}

test("create an API proxy; a bad context path is refused beside its field", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}/projects/${PROJECT}`);
  await expect(page.getByRole("heading", { name: "No API proxies yet" })).toBeVisible();
  await page.getByRole("link", { name: "Create API proxy" }).first().click();

  await page.getByLabel("Name", { exact: true }).fill("Weather API");
  await page.getByLabel("Context path").fill("weather/v1");
  await page.getByLabel("Backend URL").fill("https://localhost:9443/api");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("a context path starts with /");

  await page.getByLabel("Name", { exact: true }).fill("Weather API");
  await page.getByLabel("Context path").fill("/weather/v1");
  await page.getByLabel("Backend URL").fill("https://localhost:9443/api");
  await page.getByLabel("OpenAPI contract (optional)").fill("openapi: 3.0.3\npaths:\n  /current:\n    get: {summary: Current weather}\n");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${ENDPOINTS}$`));
  await expect(page.getByTestId("flash")).toContainText("Created Weather API v1 at /weather/v1");
  const dev = page.getByTestId("endpoint-development");
  await expect(dev).toContainText("the gateway trusts the public root CAs");

  // The Proxy Listing pane shows it, not deployed anywhere yet; the Overview lists the contract.
  await page.goto(`${gh.base}/projects/${PROJECT}`);
  const row = page.getByTestId("proxy-list").getByRole("row", { name: /Weather API/ });
  await expect(row).toContainText("/weather/v1");
  await expect(row).toContainText("Not deployed");
  await row.getByRole("link", { name: "Weather API" }).click();
  await expect(page.getByTestId("operation-list")).toContainText("/weather/v1/current");
  await expect(page.getByTestId("operation-list")).toContainText("Current weather");
});

test("Steps 1 to 3: endpoint certificate, Mutual SSL, generated key pair, associate and save", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const js = testInfo.project.name === "js";
  await signIn(page, gh.base);
  await page.goto(`${gh.base}${ENDPOINTS}`);

  // Step 1: Upload Endpoint Certificate makes it the default for every environment.
  const backend = selfSigned("localhost", ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
  await page.locator("#endpoint-upload-file").setInputFiles(backend.cert);
  await page.getByRole("button", { name: "Upload Endpoint Certificate" }).click();
  await expect(page.getByTestId("flash")).toContainText("now the endpoint certificate for Development and Production");
  const dev = page.getByTestId("endpoint-development");
  await expect(dev).toContainText('trusts "localhost"');
  await expect(page.getByTestId("endpoint-production")).toContainText('trusts "localhost"');

  // Step 2: Configure, turn on Mutual SSL, Add Client Certificate → Generate new key pair.
  await configure(dev);
  await dev.getByRole("switch", { name: "Mutual SSL" }).check();
  await dev.getByText("Add Client Certificate", { exact: true }).click();
  const dialog = dev.getByRole("dialog", { name: "Add Client Certificate Pair" });
  await expect(dialog.getByText("Generate new key pair")).toBeVisible();
  await dialog.getByLabel("Common name").fill("gatehouse-dev");
  await dialog.getByText("Show advanced options").click();
  await dialog.getByLabel("Organization", { exact: true }).fill("Gatehouse");
  await dialog.getByRole("button", { name: "Generate", exact: true }).click();
  await expect(page.getByTestId("flash")).toContainText('Generated the key pair "gatehouse-dev"');

  const mutual = dev.getByRole("switch", { name: "Mutual SSL" });
  if (js) {
    // Hydrated, the card is read again but keeps what was typed and not yet saved.
    await expect(mutual).toBeChecked();
  } else {
    // Without JavaScript the page reloaded: open the card and turn the switch on again.
    await configure(dev);
    await mutual.check();
  }

  // The key pair is listed under Existing Certificates; download its public certificate.
  const existing = dev.getByRole("group", { name: "Existing Certificates" });
  await existing.getByLabel("More options for gatehouse-dev").click();
  await expect(existing.getByRole("link", { name: "View and Download" })).toHaveAttribute("href", /\/certificates\/\d+$/);
  const downloadPromise = page.waitForEvent("download");
  await existing.getByRole("link", { name: "Download PEM" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe("gatehouse-dev.pem");
  const file = path.join(testInfo.outputDir, "gatehouse-dev.pem");
  await download.saveAs(file);
  expect(fs.readFileSync(file, "utf8")).not.toContain("PRIVATE KEY");
  expect(openssl(["x509", "-in", file, "-noout", "-subject"])).toContain("CN = gatehouse-dev");
  await existing.getByLabel("More options for gatehouse-dev").click();

  // Saving with Mutual SSL on and no certificate chosen is refused, saying what to do.
  await dev.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "choose the client certificate to present" }).first()).toBeVisible();
  if (!js) {
    await dev.getByRole("switch", { name: "Mutual SSL" }).check();
  }

  // Step 3: select the certificate under Existing Certificates and Save.
  await existing.getByRole("radio", { name: /gatehouse-dev/ }).check();
  await dev.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint. Nothing is live until it is deployed.");

  // Reload: kept.
  await page.goto(`${gh.base}${ENDPOINTS}`);
  await expect(dev).toContainText('Mutual SSL on, presenting "gatehouse-dev"');
  await configure(dev);
  await expect(dev.getByRole("switch", { name: "Mutual SSL" })).toBeChecked();
  await expect(existing.getByRole("radio", { name: /gatehouse-dev/ })).toBeChecked();
  await expect(page.getByTestId("endpoint-production")).toContainText("Mutual SSL off");

  // Check connection: a real backend on loopback that requires exactly this client certificate.
  const backendServer = https.createServer(
    { key: fs.readFileSync(backend.key), cert: fs.readFileSync(backend.cert), ca: [fs.readFileSync(file)], requestCert: true, rejectUnauthorized: true },
    (_req, res) => res.end("ok"),
  );
  await new Promise<void>((resolve) => backendServer.listen(0, "127.0.0.1", resolve));
  const port = (backendServer.address() as AddressInfo).port;
  try {
    await configure(dev);
    await dev.getByLabel("Backend URL").fill(`https://127.0.0.1:${port}/api`);
    await dev.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint");
    await dev.getByRole("button", { name: "Check connection" }).click();
    await expect(page.getByText(`Connected to 127.0.0.1:${port}`).first()).toBeVisible();
    await expect(page.getByText("the backend answered GET /api with HTTP 200").first()).toBeVisible();

    // The backend's key pin, shown by Check connection, pinned on the card: still connects.
    // A stranger's pin is refused with upstream_tls_pin_mismatch, naming the key presented.
    // (Without JavaScript the report comes back as the flash message, the pin at its end.)
    const shown = js ? dev.getByTestId("spki-pin").first() : page.getByTestId("flash");
    const pin = ((await shown.textContent()) ?? "").trim().replace(/^.*The backend's key pin: /s, "");
    expect(pin).toMatch(/^sha256\/[A-Za-z0-9+/]{43}=$/);
    const pinKeys = async (text: string) => {
      await configure(dev);
      const tls = dev.locator("details.tls-settings");
      if (!(await tls.evaluate((d) => (d as HTMLDetailsElement).open))) await tls.locator("summary").click();
      await dev.getByLabel("Pinned keys").fill(text);
      // With JavaScript the flash of the save before stays up: wait for this save's answer.
      const answered = js ? page.waitForResponse((r) => r.url().includes("save_endpoint") && r.request().method() === "POST") : null;
      await dev.getByRole("button", { name: "Save" }).click();
      if (answered) await answered;
    };
    await pinKeys("sha256/AAAA");
    await expect(page.getByRole("alert").filter({ hasText: "it decodes to 3 bytes" }).first()).toBeVisible();
    await pinKeys(pin);
    await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint");
    await expect(dev).toContainText("1 pinned key");
    await dev.getByRole("button", { name: "Check connection" }).click();
    await expect(page.getByText(`Connected to 127.0.0.1:${port}`).first()).toBeVisible();
    const stranger = `sha256/${"A".repeat(43)}=`;
    await pinKeys(stranger);
    await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint");
    await dev.getByRole("button", { name: "Check connection" }).click();
    const report = js ? dev.getByTestId("check-result") : page.getByTestId("flash");
    await expect(report).toContainText("upstream_tls_pin_mismatch");
    await expect(report).toContainText(`presented a key with pin ${pin}`);
    await pinKeys("");
    await expect(page.getByTestId("flash")).toContainText("Saved the Development endpoint");
  } finally {
    backendServer.close();
  }

  // In use: deleting it is refused, naming where; the store says where it is used.
  await configure(dev);
  const row = existing.locator(".existing-certificate").filter({ hasText: "gatehouse-dev" });
  await row.getByLabel("More options for gatehouse-dev").click();
  await row.getByText("Delete", { exact: true }).click();
  await row.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("is in use by Weather API v1 · Development (client certificate)").first()).toBeVisible();
  await page.goto(`${gh.base}/projects/${PROJECT}/certificates?q=gatehouse-dev`);
  await expect(page.getByTestId("certificate-list")).toContainText("Weather API v1 · Development (client certificate)");
});

test("Use my own key pair, chain verification off, and a certificate for another host", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}${ENDPOINTS}`);
  const prod = page.getByTestId("endpoint-production");

  // Add Client Certificate → Use my own key pair, with files.
  const own = selfSigned("prod-client");
  await configure(prod);
  await prod.getByText("Add Client Certificate", { exact: true }).click();
  const dialog = prod.getByRole("dialog", { name: "Add Client Certificate Pair" });
  await dialog.getByText("Use my own key pair").click();
  await dialog.getByLabel("Private key file").setInputFiles(own.key);
  await dialog.locator("#production-own-cert-file").setInputFiles(own.cert);
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${ENDPOINTS}$`));
  await expect(page.getByTestId("flash")).toContainText('Added the client key pair "prod-client"');

  // Associate it with Production, Mutual SSL on, chain verification off: a lasting warning.
  await configure(prod);
  await prod.getByRole("switch", { name: "Mutual SSL" }).check();
  await prod.getByRole("group", { name: "Existing Certificates" }).getByRole("radio", { name: /prod-client/ }).check();
  await prod.getByLabel("Verify certificate chain").uncheck();
  await prod.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("flash")).toContainText("Saved the Production endpoint");
  await expect(prod).toContainText("Certificate chain verification is off");
  await expect(prod).toContainText('Mutual SSL on, presenting "prod-client"');
  await page.goto(`${gh.base}/projects/${PROJECT}`);
  await expect(page.getByTestId("proxy-list").getByRole("row", { name: /Weather API/ })).toContainText("Production: certificate chain verification is off");
  await page.goto(`${gh.base}${ENDPOINTS}`);

  // A backend host the endpoint certificate does not name: warned about, saved only when accepted.
  await configure(prod);
  await prod.getByLabel("Verify certificate chain").check();
  await prod.getByLabel("Backend URL").fill("https://other.test/api");
  await prod.getByRole("button", { name: "Save" }).click();
  await expect(prod.getByRole("alert").first()).toContainText("no endpoint certificate names the backend host other.test");
  await prod.getByLabel("Backend URL").fill("https://other.test/api");
  await prod.getByLabel("Verify certificate chain").check();
  await prod.getByLabel("Save anyway, although no endpoint certificate names this host").check();
  await prod.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("flash")).toContainText("Saved the Production endpoint");
  await expect(prod).toContainText("https://other.test/api");
  await expect(prod).toContainText("Saved although no endpoint certificate names the backend's host");

  // Activity lists every change with who made it.
  await page.goto(`${gh.base}/projects/${PROJECT}/proxies/weather-api-v1/activity`);
  const log = page.getByTestId("activity-list");
  await expect(log).toContainText("endpoint.saved");
  await expect(log).toContainText("endpoint.certificate_uploaded");
  await expect(log).toContainText("proxy.created");
  await expect(log).toContainText(ADMIN.name);
});

test("Environments list each gateway's URL and its certificate", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Environments" }).click();
  const list = page.getByTestId("environment-list");
  await expect(list.getByRole("row", { name: /Development/ })).toContainText(/https:\/\/127\.0\.0\.1:\d+/);
  await expect(list.getByRole("row", { name: /Production/ })).toContainText(/https:\/\/127\.0\.0\.1:\d+/);
  const downloadPromise = page.waitForEvent("download");
  await list.getByRole("row", { name: /Development/ }).getByRole("link", { name: "Download certificate" }).click();
  const download = await downloadPromise;
  const file = path.join(testInfo.outputDir, "dev-gateway.pem");
  await download.saveAs(file);
  expect(openssl(["x509", "-in", file, "-noout", "-subject"])).toContain("Gatehouse Development gateway");
});

test("the proxy's left navigation stays at the top of a long page", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  // A short window and both cards open: the Endpoints page is far taller than the window.
  await page.setViewportSize({ width: 1280, height: 500 });
  await page.goto(`${gh.base}${ENDPOINTS}`);
  await configure(page.getByTestId("endpoint-development"));
  await configure(page.getByTestId("endpoint-production"));
  const [scrollHeight, innerHeight] = await page.evaluate(() => [document.documentElement.scrollHeight, window.innerHeight]);
  expect(scrollHeight, "a page taller than the window").toBeGreaterThan(innerHeight + 400);

  const nav = page.getByRole("navigation", { name: "API proxy" });
  const heading = page.locator(".proxy-content").getByRole("heading", { name: "Endpoints", exact: true, level: 2 });
  // At the top of the page and scrolled to its bottom alike, the navigation starts beside the
  // content's first heading instead of following the window down the page.
  for (const scrolled of [false, true]) {
    if (scrolled) {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(300);
    }
    const navBox = await nav.boundingBox();
    const headingBox = await heading.boundingBox();
    expect(navBox, "the navigation is laid out").not.toBeNull();
    expect(headingBox, "the heading is laid out").not.toBeNull();
    const [navTop, headingTop] = [navBox!.y, headingBox!.y];
    expect(Math.abs(navTop - headingTop), `navigation top ${navTop}, heading top ${headingTop} (scrolled: ${scrolled})`).toBeLessThan(40);
  }
});
