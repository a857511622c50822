// `test` with a page that fails the test on any uncaught page error or hydration panic, so a
// page that silently fell back to plain HTML forms cannot pass the JavaScript run.
import { expect, test as base } from "@playwright/test";

export const test = base.extend({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (msg) => {
      if (msg.type() === "error" && /panicked|hydration/i.test(msg.text())) errors.push(msg.text().slice(0, 300));
    });
    await use(page);
    expect(errors, "errors in the browser console").toEqual([]);
  },
});

export { expect };
