// The certificate store, clicked through with JavaScript on and off: upload an endpoint
// certificate, generate a client key pair with advanced options, download its PEM, refuse a
// mismatched own key pair, delete with confirmation.
import { expect, test } from "./fixtures";
import * as fs from "node:fs";
import * as path from "node:path";
import { openssl, selfSigned } from "./pki";
import { server } from "./servers";
import { signIn } from "./session";

test.describe.configure({ mode: "serial" });

const PROJECT = "weather-apis"; // created by 01-foundation

test("upload an endpoint certificate and see its details", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}/projects/${PROJECT}/certificates`);
  await expect(page.getByRole("heading", { name: "No certificates yet" })).toBeVisible();

  const backend = selfSigned("backend.test", ["-addext", "subjectAltName=DNS:backend.test,IP:127.0.0.1"]);
  await page.getByLabel("Certificate file").first().setInputFiles(backend.cert);
  await page.getByRole("button", { name: "Upload Endpoint Certificate" }).click();
  await expect(page.getByTestId("flash")).toContainText('Added 1 endpoint certificate: "backend.test"');
  const list = page.getByTestId("certificate-list");
  await expect(list.getByRole("link", { name: "backend.test" })).toBeVisible();
  await expect(list).toContainText("Endpoint certificate");
  await expect(list).toContainText("ECDSA P-256");

  // The same file again: refused, saying where it already is.
  await page.getByLabel("Certificate file").first().setInputFiles(backend.cert);
  await page.getByRole("button", { name: "Upload Endpoint Certificate" }).click();
  await expect(page.getByTestId("flash")).toContainText("already in the store");

  // Pasting a private key into the certificate field is refused and not echoed back.
  const keyPem = fs.readFileSync(backend.key, "utf8");
  await page.getByLabel("or paste the PEM").fill(keyPem);
  await page.getByRole("button", { name: "Upload Endpoint Certificate" }).click();
  await expect(page.getByTestId("flash")).toContainText("this is a private key, not a certificate");
  await expect(page.locator("body")).not.toContainText(keyPem.split("\n")[1]);

  await list.getByRole("link", { name: "backend.test" }).click();
  const details = page.getByTestId("certificate-details");
  await expect(details).toContainText("DNS:backend.test, IP:127.0.0.1");
  const fingerprint = openssl(["x509", "-in", backend.cert, "-noout", "-fingerprint", "-sha256"]).split("=")[1].trim();
  await expect(details).toContainText(fingerprint);
});

test("generate a key pair with advanced options and download its PEM", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}/projects/${PROJECT}/certificates`);

  await page.getByLabel("Common name").fill("dev-client");
  await page.getByText("Show advanced options").click();
  await page.getByLabel("Organization", { exact: true }).fill("Gatehouse");
  await page.getByLabel("Country").fill("SE");
  await page.getByLabel("Validity (days)").fill("30");
  await page.getByLabel("Key algorithm").selectOption("ecdsa-p384");
  await page.getByRole("button", { name: "Generate", exact: true }).click();
  await expect(page.getByTestId("flash")).toContainText('Generated the key pair "dev-client" (ECDSA P-384)');

  const list = page.getByTestId("certificate-list");
  await expect(list.getByRole("row", { name: /dev-client/ })).toContainText("Client key pair");
  await list.getByRole("link", { name: "dev-client" }).click();
  await expect(page.getByTestId("certificate-details")).toContainText("O=Gatehouse");
  await expect(page.getByTestId("certificate-details")).toContainText("held by Gatehouse, encrypted");

  const downloadPromise = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe("dev-client.pem");
  const file = path.join(testInfo.outputDir, "dev-client.pem");
  await download.saveAs(file);
  const pem = fs.readFileSync(file, "utf8");
  expect(pem).toContain("-----BEGIN CERTIFICATE-----");
  expect(pem).not.toContain("PRIVATE KEY");
  const text = openssl(["x509", "-in", file, "-noout", "-text"]);
  expect(text).toContain("CN = dev-client");
  expect(text).toContain("TLS Web Client Authentication");
  expect(text).toContain("NIST CURVE: P-384");
});

test("use my own key pair: a mismatched key is refused, a matching one is added", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}/projects/${PROJECT}/certificates`);
  const mine = selfSigned("own-client");
  const other = selfSigned("someone-else");

  await page.getByText("Use my own key pair").click();
  await page.getByLabel("Private key file").setInputFiles(other.key);
  await page.locator("#store-own-cert-file").setInputFiles(mine.cert);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("flash")).toContainText("the private key does not match the certificate's public key");
  await expect(page.getByTestId("certificate-list")).not.toContainText("own-client");

  await page.getByText("Use my own key pair").click();
  await page.getByLabel("Private key file").setInputFiles(mine.key);
  await page.locator("#store-own-cert-file").setInputFiles(mine.cert);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("flash")).toContainText('Added the client key pair "own-client"');
});

test("delete a certificate after confirming", async ({ page }, testInfo) => {
  const gh = server(testInfo);
  await signIn(page, gh.base);
  await page.goto(`${gh.base}/projects/${PROJECT}/certificates?q=dev-client`);
  await page.getByTestId("certificate-list").getByRole("link", { name: "dev-client" }).click();
  await page.getByText("Delete", { exact: true }).last().click();
  await expect(page.getByText('Delete "dev-client"? This cannot be undone.')).toBeVisible();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${PROJECT}/certificates$`));
  await expect(page.getByTestId("flash")).toContainText('Deleted "dev-client".');
  await expect(page.getByTestId("certificate-list")).not.toContainText("dev-client");
});
