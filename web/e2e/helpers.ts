import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { watchCsp } from "./fixtures";

export const ARTIFACTS = resolve(import.meta.dirname, "../../test-artifacts/screenshots");
mkdirSync(ARTIFACTS, { recursive: true });

/** The site's origin: API calls a test makes with a browser's cookies send it, as the web app's fetches do
 * (the server refuses cookie-authenticated changes without it). */
export const SITE = `http://127.0.0.1:${process.env.MT_E2E_PORT}`;
export const sameOrigin = { Origin: SITE };

let seq = 0;
export function uniqueEmail(name: string): string {
  seq += 1;
  return `${name.toLowerCase()}.${Date.now().toString(36)}${seq}@example.com`;
}

export interface Person {
  name: string;
  email: string;
  password: string;
  context: BrowserContext;
  page: Page;
}

export async function newPerson(browser: Browser, name: string, opts: { viewport?: { width: number; height: number }; theme?: "light" | "dark" } = {}): Promise<Person> {
  const context = await browser.newContext({ viewport: opts.viewport, colorScheme: opts.theme ?? "light" });
  await watchCsp(context);
  const page = await context.newPage();
  return { name, email: uniqueEmail(name.split(" ")[0]), password: "correct horse battery", context, page };
}

export async function signUp(p: Person, path = "/signup") {
  await p.page.goto(path);
  await p.page.getByLabel("Your name").fill(p.name);
  const email = p.page.getByLabel("Work email");
  if (!(await email.inputValue())) await email.fill(p.email);
  await p.page.getByLabel("Password").fill(p.password);
  await p.page.getByRole("button", { name: "Create account" }).click();
}

export async function createWorkspace(p: Person, name: string) {
  await expect(p.page.getByRole("heading", { name: "Create a workspace" })).toBeVisible();
  await p.page.getByLabel("Workspace name").fill(name);
  await p.page.getByRole("button", { name: "Create workspace" }).click();
  await expect(p.page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ })).toBeVisible();
}

export async function createProject(p: Person, name: string, key: string) {
  await p.page.getByRole("button", { name: "New project" }).first().click();
  await p.page.getByLabel("Name", { exact: true }).fill(name);
  await p.page.getByLabel("Key").fill(key);
  await p.page.getByRole("button", { name: "Create project" }).click();
  await expect(p.page.getByTestId("board")).toBeVisible();
}

export function column(page: Page, name: string) {
  return page.getByTestId("column").filter({ has: page.getByRole("heading", { name, exact: true }) });
}

export async function quickAdd(page: Page, columnName: string, title: string) {
  const col = column(page, columnName);
  await col.getByRole("button", { name: "Add task", exact: true }).click();
  const input = col.getByLabel(`New task in ${columnName}`);
  await input.fill(title);
  await input.press("Enter");
  await expect(col.getByTestId("card").filter({ hasText: title })).toBeVisible();
  await expect(col.getByTestId("card").filter({ hasText: title })).not.toHaveClass(/is-temp/);
  await input.press("Escape");
}

/** Drag with the mouse in small steps, as a person would (dnd-kit needs intermediate moves). */
export async function dragTo(page: Page, from: import("@playwright/test").Locator, to: import("@playwright/test").Locator) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + a.height / 2 + 5, { steps: 3 });
  await page.mouse.move(b.x + b.width / 2, b.y + 60, { steps: 12 });
  await page.waitForTimeout(120);
  await page.mouse.move(b.x + b.width / 2, b.y + 64, { steps: 2 });
  await page.mouse.up();
}

export async function shot(page: Page, name: string) {
  await page.waitForTimeout(100);
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: false });
}
