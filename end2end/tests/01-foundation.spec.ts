// First run, sign-in and projects, clicked through as a person would. Runs with JavaScript
// on and off (see playwright.config.ts); every form must work both ways.
import { expect, test } from "./fixtures";
import { server } from "./servers";

import { ADMIN, signIn } from "./session";

test.describe.configure({ mode: "serial" });

test("first-run setup creates the administrator through the printed link", async ({ page }, testInfo) => {
  const gh = server(testInfo);

  // Without the link's token there is no form.
  await page.goto(`${gh.base}/setup?token=guess`);
  await expect(page.getByRole("heading", { name: "This setup link is not valid" })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveCount(0);

  // Signed-out visitors are sent to the sign-in page.
  await page.goto(`${gh.base}/projects`);
  await expect(page).toHaveURL(/\/signin$/);

  await page.goto(gh.setupLink);
  await expect(page.getByRole("heading", { name: "Create the administrator" })).toBeVisible();
  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("Email").fill(ADMIN.email);
  // Too short: refused with the reason, and the link still works.
  await page.getByLabel("Password").fill("short");
  await page.getByLabel("Password").evaluate((el) => el.removeAttribute("minlength"));
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByRole("alert")).toContainText("at least 10 characters");

  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByTestId("flash")).toContainText("Welcome to Gatehouse");
  await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();

  // The link is spent.
  await page.goto(gh.setupLink);
  await expect(page.getByRole("heading", { name: "Already set up" })).toBeVisible();
});

test("a wrong password gets one generic message; the right one signs in", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base, ADMIN.email, "not the password", true);
  await expect(page.getByRole("alert")).toHaveText("the email or password is not right");
  await expect(page).toHaveURL(/\/signin/);

  await signIn(page, gh.base, "nobody@example.test", "not the password", true);
  await expect(page.getByRole("alert")).toHaveText("the email or password is not right");

  await signIn(page, gh.base);
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByTestId("user-menu")).toContainText(ADMIN.name);
});

test("create a project, see it listed, then sign out", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await signIn(page, gh.base);
  await expect(page).toHaveURL(/\/projects$/);

  if (testInfo.project.name === "js") {
    // Hydrated: the slug field previews what the server will derive as you type.
    await page.getByLabel("Name", { exact: true }).pressSequentially("Billing & Invoices");
    await expect(page.getByLabel("Slug")).toHaveAttribute("placeholder", "billing-invoices");
  }

  await page.getByLabel("Name", { exact: true }).fill("Weather APIs");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByTestId("flash")).toContainText("Created project Weather APIs.");
  const list = page.getByTestId("project-list");
  await expect(list.getByRole("link", { name: "Weather APIs" })).toBeVisible();
  await expect(list).toContainText("weather-apis");

  // A taken slug is refused beside its field.
  await page.getByLabel("Name", { exact: true }).fill("Weather APIs");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("alert")).toContainText("is taken by another project");

  // The project page, reached from the list.
  await list.getByRole("link", { name: "Weather APIs" }).click();
  await expect(page.getByRole("heading", { name: "Weather APIs", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: "No API proxies yet" })).toBeVisible();
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Members" }).click();
  await expect(page.getByTestId("member-list")).toContainText(ADMIN.email);

  // Sign out from the user menu.
  await page.getByTestId("user-menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.goto(`${gh.base}/projects`);
  await expect(page).toHaveURL(/\/signin$/);
  expect(pageErrors).toEqual([]);
});

test("API tokens are shown once and can be revoked", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}/tokens`);
  await expect(page.getByRole("heading", { name: "No tokens yet" })).toBeVisible();
  await page.getByLabel("Name").fill("ci");
  await page.getByRole("button", { name: "Create token" }).click();
  const flash = page.getByTestId("flash");
  await expect(flash).toContainText("Copy it now");
  const token = (await flash.textContent())!.match(/ghk_[0-9a-f]+/)![0];

  const ok = await page.request.get(`${gh.base}/api/v1/projects`, { headers: { Authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);

  await page.getByTestId("token-list").getByText("Revoke", { exact: true }).click();
  await page.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(page.getByTestId("flash")).toContainText("Token revoked");
  const refused = await page.request.get(`${gh.base}/api/v1/projects`, { headers: { Authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
});

test("the favicon and the logo are served, and the header's logo loads", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  // Browsers ask for /favicon.ico whatever the page says; the page names the SVG too.
  for (const [path, type] of [
    ["/favicon.ico", /^image\/(x-icon|vnd\.microsoft\.icon)/],
    ["/favicon.svg", /^image\/svg\+xml/],
    ["/logo.svg", /^image\/svg\+xml/],
  ] as const) {
    const res = await page.request.get(`${gh.base}${path}`);
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"], path).toMatch(type);
  }
  const ico = await page.request.get(`${gh.base}/favicon.ico`).then((r) => r.body());
  expect([...ico.subarray(0, 4)], "an ICO file's header").toEqual([0, 0, 1, 0]);

  await signIn(page, gh.base);
  await expect(page.locator('link[rel="icon"][href="/favicon.ico"]')).toHaveCount(1);
  await expect(page.locator('link[rel="icon"][href="/favicon.svg"]')).toHaveAttribute("type", "image/svg+xml");
  const logo = page.locator("header.topbar .brand img");
  await expect(logo).toBeVisible();
  await expect(logo).toHaveAttribute("src", "/logo.svg");
  // Loaded, not a broken-image box: an image that failed has no natural size.
  await expect.poll(() => logo.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBeGreaterThan(0);
  // The brand still reads "Gatehouse" (the image is decorative).
  await expect(page.locator("header.topbar .brand")).toHaveText("Gatehouse");
});
