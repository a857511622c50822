import { Page } from "@playwright/test";

/** The administrator that 01-foundation creates through the setup link. */
export const ADMIN = { name: "Ada Admin", email: "ada@example.test", password: "correct horse battery" };

/** Signs in and waits for the project list (pass `expectFailure` to stay on the form). */
export async function signIn(page: Page, base: string, email = ADMIN.email, password = ADMIN.password, expectFailure = false) {
  await page.goto(`${base}/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (!expectFailure) await page.waitForURL(/\/projects$/);
}
