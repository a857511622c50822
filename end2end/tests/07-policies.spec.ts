// Issue 20 in the console, clicked through with JavaScript on and off: a backend that answers
// like an old PHP server; "Remove fingerprinting headers" and "Mask backend URLs" on the
// Policies page, Save & Deploy, the Test page shows the headers gone and the gateway's URL in
// the body; a bad header name is refused beside its field; retiring (confirmed) answers 410.
import { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { server } from "./servers";
import { signIn } from "./session";

const PROJECT = "weather-apis"; // created by 01-foundation
const PROXY = `/projects/${PROJECT}/proxies/legacy-api-v1`;

/** A backend that names its software and its own URL, as an old PHP server would. */
async function legacyBackend(): Promise<[http.Server, number]> {
  const srv = http.createServer((req, res) => {
    const self = `http://${req.headers.host}${req.url}`;
    res.setHeader("Server", "Apache/2.2.3 (CentOS)");
    res.setHeader("X-Powered-By", "PHP/5.4");
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ self, next: `${self}/next` }));
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return [srv, (srv.address() as AddressInfo).port];
}

async function nav(page: Page, link: string) {
  await page.getByRole("navigation", { name: "API proxy" }).getByRole("link", { name: link, exact: true }).click();
}

/** Sends GET /today from the Test page: the answer shows in its card with JavaScript, and in
 * the message at the top (status, body, headers) without. */
async function send(page: Page, status: string, js: boolean) {
  await nav(page, "Test");
  await page.getByLabel("Environment").selectOption("development");
  await page.getByLabel("Path (after the context path)").fill("/today");
  await page.getByRole("button", { name: "Send" }).click();
  const answer = js ? page.getByTestId("test-response") : page.getByTestId("flash");
  await expect(answer).toContainText(status);
  return answer;
}

async function saveAndDeploy(page: Page, revision: number) {
  await nav(page, "Deploy");
  const devCard = page.getByTestId("deploy-development");
  await devCard.getByText("Configure & Deploy").click();
  await devCard.getByRole("button", { name: "Save & Deploy" }).click();
  await expect(page.getByTestId("flash")).toContainText(`Deployed revision ${revision} of Legacy API v1: live in Development`);
}

test("remove fingerprinting headers and mask backend URLs, deploy, and see them gone; then retire the API", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const js = testInfo.project.name === "js";
  const [srv, port] = await legacyBackend();
  try {
    await signIn(page, gh.base);
    await page.goto(`${gh.base}/projects/${PROJECT}/new-proxy`);
    await page.getByLabel("Name", { exact: true }).fill("Legacy API");
    await page.getByLabel("Context path").fill("/legacy/v1");
    await page.getByLabel("Backend URL").fill(`http://127.0.0.1:${port}/legacy`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect(page.getByTestId("flash")).toContainText("Created Legacy API v1");
    await saveAndDeploy(page, 1);
    const before = await send(page, "HTTP 200", js);
    await expect(before).toContainText("Apache/2.2.3 (CentOS)");
    await expect(before).toContainText(`127.0.0.1:${port}/legacy/today`);

    // Policies: the one-click fingerprinting policy, then masking through the form.
    await page.goto(`${gh.base}${PROXY}/policies`);
    await expect(page.getByTestId("policies-empty")).toBeVisible();
    await page.getByRole("button", { name: "Remove fingerprinting headers" }).click();
    await expect(page.getByTestId("flash")).toContainText("will leave every answer");
    await expect(page.getByTestId("policy-list")).toContainText("Remove fingerprinting headers (Server, X-Powered-By");
    // A bad header name is refused beside its field, nothing stored.
    const form = page.getByTestId("policy-form");
    await form.getByLabel("What it does").selectOption("set_request_header");
    await form.getByLabel("Header name").fill("bad name");
    await form.getByLabel("Header value").fill("x");
    await form.getByRole("button", { name: "Add policy" }).click();
    await expect(page.locator("#name-error")).toContainText("is not a header name");
    await page.goto(`${gh.base}${PROXY}/policies`);
    await expect(page.getByTestId("policy-list").locator("tbody tr")).toHaveCount(1);
    await page.getByTestId("policy-form").getByLabel("What it does").selectOption("mask_backend_urls");
    await page.getByTestId("policy-form").getByRole("button", { name: "Add policy" }).click();
    await expect(page.getByTestId("flash")).toContainText("Saved policy 2");
    await expect(page.getByTestId("policy-list")).toContainText("Mask backend URLs");

    // Live from the next deploy: the Test page sees the headers gone and the gateway's URL.
    await saveAndDeploy(page, 2);
    const after = await send(page, "HTTP 200", js);
    await expect(after).not.toContainText("Apache/2.2.3");
    await expect(after).not.toContainText("PHP/5.4");
    await expect(after).not.toContainText(`127.0.0.1:${port}`);
    await expect(after).toContainText("/legacy/v1/today");

    // Retire, confirmed: 410 at once, and the listing says so.
    await nav(page, "Overview");
    const lifecycle = page.getByTestId("lifecycle");
    await lifecycle.getByText("Retire API").click();
    await expect(lifecycle.getByText("Every caller gets 410 api_retired at once")).toBeVisible();
    await lifecycle.getByRole("button", { name: "Yes, retire" }).click();
    await expect(page.getByTestId("flash")).toContainText("Legacy API v1 is retired");
    await expect(page.getByTestId("lifecycle-badge")).toHaveText("Retired");
    await send(page, "HTTP 410", js);
    await page.goto(`${gh.base}/projects/${PROJECT}`);
    await expect(page.getByTestId("proxy-list").getByRole("row", { name: /Legacy API/ })).toContainText("Retired");
  } finally {
    srv.close();
  }
});
