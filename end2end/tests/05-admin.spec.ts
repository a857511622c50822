// Admin settings, clicked through with JavaScript on and off: who may create projects
// (administrators by default), and where an environment's backends may be.
import { expect, test } from "./fixtures";
import { server } from "./servers";
import { signIn } from "./session";

const UMA = { name: "Uma User", email: "uma@example.test", password: "uma's long password" };

test("only administrators create projects until an administrator lets everyone", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.getByRole("link", { name: "Users", exact: true }).click();
  await page.getByLabel("Name").fill(UMA.name);
  await page.getByLabel("Email").fill(UMA.email);
  await page.getByLabel("Initial password").fill(UMA.password);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("flash")).toContainText(`Created an account for ${UMA.email}`);

  // Uma is not an administrator: no form, and whom to ask instead.
  await page.context().clearCookies();
  await signIn(page, gh.base, UMA.email, UMA.password);
  await expect(page.getByTestId("no-project-creation")).toContainText("ask one to create a project");
  await expect(page.getByRole("button", { name: "Create project" })).toHaveCount(0);

  // The administrator lets everyone create projects.
  await page.context().clearCookies();
  await signIn(page, gh.base);
  await page.getByRole("link", { name: "Settings", exact: true }).click();
  await expect(page.getByLabel("Administrators only")).toBeChecked();
  await page.getByLabel("Every signed-in user").check();
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("flash")).toContainText("Settings saved.");
  await expect(page.getByLabel("Every signed-in user")).toBeChecked();

  await page.context().clearCookies();
  await signIn(page, gh.base, UMA.email, UMA.password);
  await page.getByLabel("Name", { exact: true }).fill("Uma APIs");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByTestId("flash")).toContainText("Created project Uma APIs.");
  await expect(page.getByTestId("project-list").getByRole("row", { name: /Uma APIs/ })).toContainText("owner");

  // And Uma cannot reach the settings or change an environment's destinations.
  await page.goto(`${gh.base}/environments`);
  await expect(page.getByRole("region", { name: "Development backend destinations" })).toContainText("An administrator changes these.");
  await expect(page.getByRole("button", { name: "Save Development destinations" })).toHaveCount(0);
});

test("an administrator sets where an environment's backends may be; a typo is named and nothing is lost", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.getByRole("link", { name: "Environments", exact: true }).click();
  const dev = page.getByTestId("destinations-development");
  await dev.getByLabel("Denied ranges").fill("10.0.0.0/8\nnot-a-range");
  await dev.getByRole("button", { name: "Save Development destinations" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "is not an address range" })).toContainText('"not-a-range"');

  await page.goto(`${gh.base}/environments`);
  const again = page.getByTestId("destinations-development");
  await expect(again.getByLabel("Denied ranges")).toHaveValue("");
  await again.getByLabel("Denied ranges").fill("10.1.2.3/8\n192.0.2.7");
  await again.getByRole("button", { name: "Save Development destinations" }).click();
  await expect(page.getByTestId("flash")).toContainText("Saved where Development backends may be");
  await page.goto(`${gh.base}/environments`);
  await expect(page.getByTestId("destinations-development").getByLabel("Denied ranges")).toHaveValue("10.0.0.0/8\n192.0.2.7/32");
  await expect(page.getByTestId("destinations-production").getByLabel("Denied ranges")).toHaveValue("");

  // Cleared again, so the deny list does not outlive this test.
  await page.getByTestId("destinations-development").getByLabel("Denied ranges").fill("");
  await page.getByTestId("destinations-development").getByRole("button", { name: "Save Development destinations" }).click();
  await expect(page.getByTestId("flash")).toContainText("Saved where Development backends may be");
});

test("the Environments page lists the gateway nodes, each up and serving the latest of every environment", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.getByRole("link", { name: "Environments", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Gateway nodes" })).toBeVisible();
  const nodes = page.getByTestId("gateway-nodes");
  await expect(nodes.getByTestId("gateway-node")).toHaveCount(1);
  const node = nodes.getByTestId("gateway-node");
  await expect(node).toContainText("console+gateway");
  await expect(node).toContainText(`console ${gh.base}`);
  await expect(node).toContainText(/s ago/);
  await expect(node.getByTestId("node-limits")).toContainText("each node counts alone");
  await expect(node).not.toContainText("down");
  await expect(node).not.toContainText("behind");
});
