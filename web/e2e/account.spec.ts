import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "./fixtures";
import { createWorkspace, newPerson, shot, signUp } from "./helpers";

test("a personal API token works with a plain request until it's revoked (dark, 375 px)", async ({ browser, request }) => {
  const ada = await newPerson(browser, "Ada Lovelace", { viewport: { width: 375, height: 812 }, theme: "dark" });
  const { page } = ada;
  await ada.context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signUp(ada);
  await createWorkspace(ada, "Token Works");
  const ws = /\/w\/([^/?]+)/.exec(page.url())![1];
  await page.goto(`/w/${ws}/account`);

  const tokens = page.getByRole("region", { name: "API tokens" });
  await expect(tokens.getByText("No tokens yet.")).toBeVisible();
  const create = tokens.getByRole("button", { name: "Create token" });
  await expect(create).toBeDisabled();
  await tokens.getByLabel("Token name").fill("CI deploy");
  await create.click();

  // The secret, once: focused, with Copy and the warning.
  const created = page.getByRole("region", { name: /Token “CI deploy” created/ });
  await expect(created).toBeVisible();
  await expect(created).toContainText("you won't see it again");
  const field = created.getByLabel("Your new API token");
  await expect(field).toBeFocused();
  const secret = await field.inputValue();
  expect(secret).toMatch(/^mtp_[\w-]{20,}$/);
  await created.getByRole("button", { name: "Copy token" }).click();
  await expect(created.getByRole("button", { name: "Copy token" })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  const row = tokens.getByTestId("api-token").filter({ hasText: "CI deploy" });
  await expect(row).toContainText("never used");
  await expect(row).toContainText(secret.slice(0, 12));

  // Fits a phone in dark mode, and is accessible while the secret shows.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  const axe = await new AxeBuilder({ page }).include("[data-testid=api-tokens]").withTags(["wcag2a", "wcag2aa"]).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`)).toEqual([]);
  await created.scrollIntoViewIfNeeded();
  await shot(page, "api-token-created-dark-mobile");

  await created.getByRole("button", { name: "Done" }).click();
  await expect(created).toBeHidden();
  await expect(tokens.getByLabel("Token name")).toBeFocused();
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret); // never shown again

  // The token authenticates a plain client (no cookies) as Ada.
  expect((await request.get("/api/v1/me")).status()).toBe(401);
  const ok = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).email).toBe(ada.email);
  await page.reload();
  await expect(row).toContainText("last used just now");

  // Revoke, after confirming: it stops working at once; Ada's own session doesn't.
  await row.getByRole("button", { name: "Revoke token CI deploy" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke “CI deploy”?" });
  await expect(dialog).toContainText("stops working immediately");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await shot(page, "api-token-revoke-dark-mobile");
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toHaveCount(0);
  await expect(tokens.getByText("No tokens yet.")).toBeVisible();
  const refused = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);
  await page.reload();
  await expect(tokens.getByText("No tokens yet.")).toBeVisible();
  await ada.context.close();
});
