// Issue 19 in the console, clicked through with JavaScript on and off: a proxy whose access is
// "subscription", a product with it, a subscription whose key (shown once, with a Copy button)
// calls the API through the real Development gateway, then suspending it refuses the call.
import { Page } from "@playwright/test";
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
const PROXY = `/projects/${PROJECT}/proxies/orders-api-v1`;

/** A plain HTTP backend that says which path, key and subscription reached it. */
async function backend(): Promise<[http.Server, number]> {
  const srv = http.createServer((req, res) =>
    res.end(`hello ${req.url} key=${req.headers["api-key"] ?? "none"} sub=${req.headers["x-gatehouse-subscription"] ?? "none"}`),
  );
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return [srv, (srv.address() as AddressInfo).port];
}

/** GET through the gateway, trusting its listener certificate, with the key when given. */
function call(url: string, ca: string, key?: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers: key ? { "api-key": key } : {} }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve([res.statusCode ?? 0, body]));
      })
      .on("error", reject);
  });
}

async function nav(page: Page, link: string) {
  await page.getByRole("navigation", { name: "API proxy" }).getByRole("link", { name: link, exact: true }).click();
}

test("subscribe an application, call the API with its key, suspend it and see the call refused", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const js = testInfo.project.name === "js";
  const [srv, port] = await backend();
  try {
    await signIn(page, gh.base);
    // A proxy that asks for a subscription key, deployed to Development.
    await page.goto(`${gh.base}/projects/${PROJECT}/new-proxy`);
    await page.getByLabel("Name", { exact: true }).fill("Orders API");
    await page.getByLabel("Context path").fill("/orders/v1");
    await page.getByLabel("Backend URL").fill(`http://127.0.0.1:${port}/orders`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText("Created Orders API v1");
    await page.goto(`${gh.base}${PROXY}/policies`);
    await page.getByLabel("Subscription key").check();
    await expect(page.getByLabel("Key header")).toHaveValue("api-key");
    await page.getByRole("button", { name: "Save access" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved the access setting of Orders API v1");
    await nav(page, "Deploy");
    const devCard = page.getByTestId("deploy-development");
    await devCard.getByText("Configure & Deploy").click();
    await devCard.getByRole("button", { name: "Save & Deploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Deployed revision 1 of Orders API v1: live in Development");
    const devUrl = await devCard.getByLabel("Invoke URL").inputValue();
    const pem = await page.request.get(`${gh.base}/environments/development/gateway.pem`).then((r) => r.text());
    const [refused] = await call(`${devUrl}/today`, pem);
    expect(refused).toBe(401);

    // A product with the proxy and a rate limit.
    await page.goto(`${gh.base}/projects/${PROJECT}/products`);
    await expect(page.getByRole("heading", { name: "No products yet" })).toBeVisible();
    // A quota smaller than the rate limit is refused beside its field, nothing stored.
    const form = page.getByTestId("create-product");
    await form.getByLabel("Name").fill("Gold");
    await form.getByLabel("Orders API v1").check();
    await form.getByLabel("Requests per window").fill("100");
    await form.getByLabel("Window (seconds)").fill("60");
    await form.getByLabel("Requests per period").fill("50");
    await form.getByRole("button", { name: "Create product" }).click();
    await expect(page.locator("#quota-error")).toContainText("the quota (50 per day) is smaller than the rate limit (100 per 60 s)");
    await page.goto(`${gh.base}/projects/${PROJECT}/products`);
    await expect(page.getByRole("heading", { name: "No products yet" })).toBeVisible();
    const again = page.getByTestId("create-product");
    await again.getByLabel("Name").fill("Gold");
    await again.getByLabel("Orders API v1").check();
    await again.getByLabel("Requests per window").fill("100");
    await again.getByLabel("Window (seconds)").fill("60");
    await again.getByLabel("Requests per period").fill("100000");
    await again.getByLabel("Period", { exact: true }).selectOption("month");
    await again.getByRole("button", { name: "Create product" }).click();
    await expect(page.getByTestId("flash")).toContainText("Created product Gold.");
    await expect(page.getByTestId("product-list")).toContainText("100 per 60 s · 100000 per month");

    // Subscribe: the keys are shown once, with a Copy button.
    await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Subscriptions" }).click();
    const subscribe = page.getByTestId("create-subscription");
    await subscribe.getByLabel("Application").fill("Mobile app");
    await subscribe.getByLabel("Product").selectOption({ label: "Gold" });
    await subscribe.getByLabel("Contact email").fill("dev@example.test");
    await subscribe.getByRole("button", { name: "Subscribe" }).click();
    const flash = page.getByTestId("flash");
    await expect(flash).toContainText("Subscribed Mobile app to Gold");
    const key = await flash.getByLabel("Primary key").inputValue();
    expect(key).toMatch(/^gk_[0-9a-f]{64}$/);
    if (js) {
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: gh.base });
      await flash.getByRole("button", { name: "Copy" }).first().click();
      await expect(flash.getByRole("button", { name: "Copied" })).toBeVisible();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    }
    const row = page.getByTestId("subscription-list").getByRole("row", { name: /Mobile app/ });
    await expect(row).toContainText("active");
    await expect(row).toContainText(key.slice(0, 10));

    // The key opens the API; the backend never sees it, only which subscription called.
    const [ok, body] = await call(`${devUrl}/today`, pem, key);
    expect(ok).toBe(200);
    expect(body).toMatch(/^hello \/orders\/today key=none sub=\d+$/);

    // Suspend: the next call is refused, with no redeploy.
    await row.getByRole("button", { name: "Suspend" }).click();
    await expect(page.getByTestId("flash")).toContainText("Mobile app is now suspended");
    const [suspended, why] = await call(`${devUrl}/today`, pem, key);
    expect(suspended).toBe(403);
    expect(JSON.parse(why).error.code).toBe("subscription_suspended");
    await expect(page.getByTestId("subscription-list").getByRole("row", { name: /Mobile app/ })).toContainText("suspended");

    // Its page: today's requests by outcome, as a chart drawn on the server and as a table.
    await page.getByTestId("subscription-list").getByRole("link", { name: "Mobile app" }).click();
    await expect(page.getByRole("heading", { name: "Mobile app", level: 1 })).toBeVisible();
    await expect(page.getByTestId("usage-chart").getByRole("img")).toBeVisible();
    const today = page.getByTestId("usage-table").locator("tbody tr").first();
    await expect(today.locator("td").nth(1)).toHaveText("1"); // allowed
    await expect(today.locator("td").nth(4)).toHaveText("1"); // refused: suspended
  } finally {
    srv.close();
  }
});

/** A CA and a client certificate it issued (client-auth usage), made with openssl now. */
function partnerPki(): { ca: string; cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-partner-"));
  const f = (name: string) => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(["req", "-x509", ...ec, "-subj", "/CN=Partner CA", "-days", "30", "-keyout", f("ca.key"), "-out", f("ca.crt"),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  openssl(["req", "-new", ...ec, "-subj", "/CN=partner-app", "-keyout", f("client.key"), "-out", f("client.csr")]);
  fs.writeFileSync(f("ext.cnf"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  openssl(["x509", "-req", "-in", f("client.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
    "-days", "30", "-extfile", f("ext.cnf"), "-out", f("client.crt")]);
  const read = (name: string) => fs.readFileSync(f(name), "utf8");
  return { ca: read("ca.crt"), cert: read("client.crt"), key: read("client.key") };
}

/** GET through the gateway presenting a client certificate (or none). */
function callWith(url: string, ca: string, client?: { cert: string; key: string }): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, ...(client ? { cert: client.cert, key: client.key } : {}) }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve([res.statusCode ?? 0, body]));
      })
      .on("error", reject);
  });
}

test("a partner's client certificate, issued by a trusted CA, calls the API in place of a key", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const [srv, port] = await backend();
  const partner = partnerPki();
  const proxy = `/projects/${PROJECT}/proxies/partners-api-v1`;
  try {
    await signIn(page, gh.base);
    await page.goto(`${gh.base}/projects/${PROJECT}/new-proxy`);
    await page.getByLabel("Name", { exact: true }).fill("Partners API");
    await page.getByLabel("Context path").fill("/partners/v1");
    await page.getByLabel("Backend URL").fill(`http://127.0.0.1:${port}/partners`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText("Created Partners API v1");
    await page.goto(`${gh.base}${proxy}/policies`);
    await page.getByLabel("Subscription key").check();
    await page.getByLabel("Accept a client certificate instead of a key").check();
    await page.getByRole("button", { name: "Save access" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved the access setting of Partners API v1");
    await expect(page.getByLabel("Accept a client certificate instead of a key")).toBeChecked();
    await nav(page, "Deploy");
    const devCard = page.getByTestId("deploy-development");
    await devCard.getByText("Configure & Deploy").click();
    await devCard.getByRole("button", { name: "Save & Deploy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Deployed revision 1 of Partners API v1: live in Development");
    const devUrl = await devCard.getByLabel("Invoke URL").inputValue();
    const pem = await page.request.get(`${gh.base}/environments/development/gateway.pem`).then((r) => r.text());
    const [asked, why] = await callWith(`${devUrl}/orders`, pem);
    expect(asked).toBe(401);
    expect(JSON.parse(why).error.code).toBe("client_certificate_required");

    // The partner's CA in the certificate store, as a trusted client CA.
    await page.goto(`${gh.base}/projects/${PROJECT}/certificates`);
    const upload = page.locator("#add-client-ca");
    await upload.getByLabel("or paste the CA certificate (PEM)").fill(partner.ca);
    await upload.getByRole("button", { name: "Add Trusted Client CA" }).click();
    await expect(page.getByTestId("flash")).toContainText('Trusted 1 client CA: "Partner CA"');

    // A product with the proxy, a subscription, bound to the CA on its page.
    await page.goto(`${gh.base}/projects/${PROJECT}/products`);
    const form = page.getByTestId("create-product");
    await form.getByLabel("Name").fill("Partner plan");
    await form.getByLabel("Partners API v1").check();
    await form.getByRole("button", { name: "Create product" }).click();
    await expect(page.getByTestId("flash")).toContainText("Created product Partner plan.");
    await page.goto(`${gh.base}/projects/${PROJECT}/subscriptions`);
    const subscribe = page.getByTestId("create-subscription");
    await subscribe.getByLabel("Application").fill("Partner app");
    await subscribe.getByLabel("Product").selectOption({ label: "Partner plan" });
    await subscribe.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.getByTestId("flash")).toContainText("Subscribed Partner app to Partner plan");
    await page.getByTestId("subscription-list").getByRole("link", { name: "Partner app" }).click();
    await expect(page.getByTestId("client-certificate-bound")).toContainText("None");
    const choice = page.getByLabel("Or a trusted client CA");
    await choice.selectOption((await choice.locator("option", { hasText: "Partner CA" }).getAttribute("value")) ?? "");
    await page.getByRole("button", { name: "Save client certificate" }).click();
    await expect(page.getByTestId("flash")).toContainText("Partner app is bound to certificates issued by Partner CA");
    await expect(page.getByTestId("client-certificate-bound")).toContainText("issued by the trusted client CA Partner CA");

    // The certificate alone opens the API; the backend is told which subscription called.
    const [ok, body] = await callWith(`${devUrl}/orders`, pem, partner);
    expect(ok).toBe(200);
    expect(body).toMatch(/^hello \/partners\/orders key=none sub=\d+$/);
    // A fingerprint that is not one is refused beside its field; the binding stays.
    await page.getByLabel("Certificate fingerprint (SHA-256)").fill("12:34");
    await page.getByLabel("Or a trusted client CA").selectOption("");
    await page.getByRole("button", { name: "Save client certificate" }).click();
    await expect(page.locator("#client_certificate_fingerprint-error")).toContainText("64 hex digits");
    await page.goto(page.url());
    await expect(page.getByTestId("client-certificate-bound")).toContainText("Partner CA");
  } finally {
    srv.close();
  }
});
