import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { watchCsp } from "./fixtures";
import { newPerson, sameOrigin, signUp, uniqueEmail } from "./helpers";

// Issue 13, items 1 and 2: errors in plain words beside their fields, all at once; invites that keep
// their context from the link to the joined workspace; rate limits that say when to try again.

const PASSWORD = "correct horse battery";

async function post(req: APIRequestContext, path: string, data: unknown, status = 201) {
  const r = await req.post(path, { data, headers: sameOrigin });
  expect(r.status(), `${path}: ${await r.text()}`).toBe(status);
  return r.json();
}

/** An owner with a workspace, seeded through the API (no UI), and an invite for `email`. */
async function seedInvite(browser: Browser, workspace: string, ownerName: string, email: string) {
  const owner = await browser.newContext();
  await post(owner.request, "/api/v1/auth/signup", { name: ownerName, email: uniqueEmail("owner"), password: PASSWORD });
  const ws = await post(owner.request, "/api/v1/workspaces", { name: workspace });
  const invite = await post(owner.request, `/api/v1/workspaces/${ws.id}/invites`, { email, role: "member" });
  await owner.close();
  return { ws, token: invite.token as string };
}

/** The message shown under an input, found the way assistive tech finds it (aria-describedby). */
async function expectFieldError(page: Page, label: string, message: string) {
  const input = page.getByLabel(label, { exact: true });
  await expect(input).toHaveAttribute("aria-invalid", "true");
  await expect(input).toHaveAccessibleDescription(new RegExp(message));
}

test("an empty sign-up form flags name, email and password at once, in plain words", async ({ browser }) => {
  const p = await newPerson(browser, "Empty Form");
  let sent = 0;
  p.page.on("request", (r) => {
    if (r.url().includes("/api/v1/auth/signup")) sent += 1;
  });
  await p.page.goto("/signup");
  await p.page.getByRole("button", { name: "Create account" }).click();
  await expectFieldError(p.page, "Your name", "Enter your name");
  await expectFieldError(p.page, "Work email", "Enter your email address");
  await expectFieldError(p.page, "Password", "Choose a password");
  await expect(p.page.getByLabel("Your name")).toBeFocused();
  expect(sent).toBe(0);

  // A password that is too short, with the limit the server uses (from the OpenAPI schema).
  await p.page.getByLabel("Your name").fill("Ada");
  await p.page.getByLabel("Password").fill("short");
  await p.page.getByRole("button", { name: "Create account" }).click();
  await expectFieldError(p.page, "Password", "Use at least 8 characters");
  await expect(p.page.getByLabel("Your name")).not.toHaveAttribute("aria-invalid", "true");
  await p.context.close();
});

test("a bad email is refused in plain words beside the field, never as validator text", async ({ browser }) => {
  const p = await newPerson(browser, "Bad Email");
  await p.page.goto("/signup");
  await p.page.getByLabel("Your name").fill("Ada");
  await p.page.getByLabel("Password").fill(PASSWORD);
  // Caught before sending…
  await p.page.getByLabel("Work email").fill("ada-at-example.com");
  await p.page.getByRole("button", { name: "Create account" }).click();
  await expectFieldError(p.page, "Work email", "Enter a valid email address");
  // …and one only the server's validator catches reads the same (its `fields`, mapped to the input).
  await p.page.getByLabel("Work email").fill("ada@-example.com");
  const answered = p.page.waitForResponse((r) => r.url().includes("/api/v1/auth/signup"));
  await p.page.getByRole("button", { name: "Create account" }).click();
  expect((await answered).status()).toBe(422);
  await expectFieldError(p.page, "Work email", "Enter a valid email address");
  await expect(p.page.getByText(/value is not a valid|String should|@-sign/)).toHaveCount(0);
  await p.context.close();
});

test("a workspace name of only spaces says why, beside the field", async ({ browser }) => {
  const p = await newPerson(browser, "Blank Space");
  await signUp(p);
  await expect(p.page.getByRole("heading", { name: "Create a workspace" })).toBeVisible();
  await p.page.getByLabel("Workspace name").fill("    ");
  await p.page.getByRole("button", { name: "Create workspace" }).click();
  await expectFieldError(p.page, "Workspace name", "Enter a workspace name");
  await expect(p.page).toHaveURL(/\/new-workspace$/);
  // The server refuses it too, naming the field, in the same plain words.
  const r = await p.context.request.post("/api/v1/workspaces", { data: { name: "   " }, headers: sameOrigin });
  expect(r.status()).toBe(422);
  expect((await r.json()).error.fields).toEqual([{ field: "name", message: "Can't be blank", type: "string_too_short" }]);

  // Renaming to spaces in the settings says so too, instead of doing nothing.
  const ws = await post(p.context.request, "/api/v1/workspaces", { name: "Real Name" });
  await p.page.goto(`/w/${ws.id}/settings`);
  await p.page.getByLabel("Workspace name").fill("   ");
  await p.page.getByRole("button", { name: "Rename" }).click();
  await expectFieldError(p.page, "Workspace name", "Enter a workspace name");
  await p.context.close();
});

test("the invite page names the workspace and who invited, before an account exists", async ({ browser }) => {
  const p = await newPerson(browser, "Grace Hopper");
  const { token } = await seedInvite(browser, "Pixel Studio", "Olivia Owner", p.email);
  await p.page.goto(`/invite/${token}`);
  await expect(p.page.getByRole("heading", { name: "Join Pixel Studio" })).toBeVisible();
  await expect(p.page.getByText(`Olivia Owner invited ${p.email} as a member.`)).toBeVisible();
  await expect(p.page.getByText("Expires in 7 days")).toBeVisible();

  // A link that does not work says so, and nothing else.
  await p.page.goto("/invite/mti_not-a-real-token");
  await expect(p.page.getByRole("heading", { name: "This invitation can't be found" })).toBeVisible();
  await p.context.close();
});

test("'Create an account to join' opens sign-up for the invited email and lands in the joined workspace", async ({ browser }) => {
  const p = await newPerson(browser, "Grace Hopper");
  const { ws, token } = await seedInvite(browser, "Pixel Studio", "Olivia Owner", p.email);
  await p.page.goto(`/invite/${token}`);
  await p.page.getByRole("link", { name: "Create an account to join" }).click();

  await expect(p.page.getByRole("heading", { name: "Join Pixel Studio" })).toBeVisible();
  const email = p.page.getByLabel("Work email");
  await expect(email).toHaveValue(p.email);
  await expect(email).toHaveAttribute("readonly", "");
  await expect(email).toHaveAccessibleDescription("The invite to Pixel Studio is for this address.");

  await p.page.getByLabel("Your name").fill(p.name);
  await p.page.getByLabel("Password").fill(p.password);
  await p.page.getByRole("button", { name: "Create account and join" }).click();
  await expect(p.page).toHaveURL(new RegExp(`/w/${ws.id}$`));
  await expect(p.page.getByRole("heading", { name: /Good (morning|afternoon|evening), Grace/ })).toBeVisible();
  const mine = await (await p.context.request.get("/api/v1/workspaces")).json();
  expect(mine.items.map((w: { name: string; role: string }) => [w.name, w.role])).toEqual([["Pixel Studio", "member"]]);

  // The used link now says it was used, naming nothing.
  await p.page.goto(`/invite/${token}`);
  await expect(p.page.getByRole("heading", { name: "This invitation no longer works" })).toBeVisible();
  await expect(p.page.getByText("This invite has already been used.")).toBeVisible();
  await p.context.close();
});

/** A browser seen by the server as coming from its own address (X-Forwarded-For from the local proxy), so
 * using up its limits leaves every other test's budget alone. */
async function fromAddress(browser: Browser, ip: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": ip } });
  await watchCsp(context);
  return { context, page: await context.newPage() };
}

function randomIp(): string {
  const n = () => Math.floor(Math.random() * 250) + 1;
  return `10.${n()}.${n()}.${n()}`;
}

/** Send `attempt` in parallel batches until one is refused with 429 (or give up after `max`). */
async function untilRefused(attempt: () => Promise<number>, max = 300): Promise<boolean> {
  for (let sent = 0; sent < max; sent += 10) {
    const statuses = await Promise.all(Array.from({ length: 10 }, attempt));
    if (statuses.includes(429)) return true;
  }
  return false;
}

test("a rate-limited sign-up and log-in say when to try again", async ({ browser }) => {
  test.setTimeout(120_000); // ~150 requests to reach the real limits
  const { context, page } = await fromAddress(browser, randomIp());
  const taken = uniqueEmail("taken");
  // Use up this address's sign-ups (a taken email counts, and costs the server no password hash).
  await post(context.request, "/api/v1/auth/signup", { name: "Taken", email: taken, password: PASSWORD });
  await context.clearCookies();
  const signupAgain = async () => (await context.request.post("/api/v1/auth/signup", { data: { name: "Taken", email: taken, password: PASSWORD }, headers: sameOrigin })).status();
  expect(await untilRefused(signupAgain)).toBe(true);

  await page.goto("/signup");
  await page.getByLabel("Your name").fill("Late Comer");
  await page.getByLabel("Work email").fill(uniqueEmail("late"));
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toHaveText(/^Too many sign-ups from this address\. Try again in (\d+ minutes?|1 hour)\.$/);

  // Log-in: fail from this address at many accounts until its shared ceiling is full.
  const wrongLogin = async () => (await context.request.post("/api/v1/auth/login", { data: { email: uniqueEmail("nobody"), password: "wrong password" }, headers: sameOrigin })).status();
  expect(await untilRefused(wrongLogin)).toBe(true);
  await page.goto("/login");
  await page.getByLabel("Email").fill(taken);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText(/Try again in \d+ (seconds?|minutes?)/);
  await context.close();
});
