import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { createWorkspace, newPerson, sameOrigin, shot, signUp } from "./helpers";

test("the session token stays in the HttpOnly cookie, and fetches and the socket still work", async ({ browser }) => {
  const ada = await newPerson(browser, "Ada Lovelace");
  const { page } = ada;
  // The socket is a WebSocket from the start: the server takes no long-polling (docs/REALTIME.md).
  const polls: string[] = [];
  const sockets: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("transport=polling")) polls.push(r.url());
  });
  page.on("websocket", (w) => {
    if (w.url().includes("/socket.io/")) sockets.push(w.url());
  });
  await signUp(ada);
  await createWorkspace(ada, "Cookie Jar");
  const ws = /\/w\/([^/?]+)/.exec(page.url())![1];
  const req = ada.context.request;
  const project = await (await req.post(`/api/v1/workspaces/${ws}/projects`, { data: { name: "Jar", key: "JAR" }, headers: sameOrigin })).json();
  const response = await page.goto(`/w/${ws}/p/${project.id}/board`);

  // Served with the browser protections, the page's style nonce in its policy.
  const headers = response!.headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["content-security-policy"]).toMatch(/script-src 'self';/);
  expect(headers["content-security-policy"]).toMatch(/style-src 'self' 'nonce-[\w-]{20,}'/);

  // The socket, authenticated by the cookie alone, brings a change made elsewhere without a reload.
  await expect(page.getByTestId("board")).toBeVisible();
  await expect(page.locator(".offline-banner")).toHaveCount(0);
  let sent = 0;
  await expect(async () => {
    // Retried until the socket has joined the board's room (it does so right after connecting).
    sent += 1;
    await req.post(`/api/v1/projects/${project.id}/tasks`, { data: { title: `Arrived live ${sent}` }, headers: sameOrigin });
    await expect(page.getByTestId("card").filter({ hasText: `Arrived live ${sent}` })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  expect(sockets.some((url) => url.includes("transport=websocket"))).toBe(true);
  expect(polls).toEqual([]);

  // Nothing a script can read holds the token.
  const readable = await page.evaluate(() => ({
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
    cookie: document.cookie,
  }));
  expect(JSON.stringify(readable)).not.toMatch(/mts_|mtp_/);
  expect(readable.cookie).not.toContain("magictask_session");
  const cookies = await ada.context.cookies();
  const sessionCookie = cookies.find((c) => c.name === "magictask_session")!;
  expect(sessionCookie.value).toMatch(/^mts_/);
  expect(sessionCookie.httpOnly).toBe(true);
  expect(sessionCookie.sameSite).toBe("Lax");
  const device = cookies.find((c) => c.name === "magictask_device")!;
  expect(device.httpOnly).toBe(true);
  expect(device.path).toBe("/api/v1/auth");

  // A page of another origin cannot make changes with that cookie; this origin can.
  const forged = await ada.context.request.post("/api/v1/workspaces", { data: { name: "Forged" }, headers: { Origin: "https://evil.example" } });
  expect(forged.status()).toBe(403);
  expect((await forged.json()).error.code).toBe("cross_origin_refused");
  expect((await ada.context.request.post("/api/v1/workspaces", { data: { name: "Mine" }, headers: sameOrigin })).status()).toBe(201);
  await ada.context.close();
});

test("a markdown image from another host is shown as a link and never requested", async ({ browser }) => {
  const ada = await newPerson(browser, "Ada Lovelace");
  const { page } = ada;
  await signUp(ada);
  await createWorkspace(ada, "Pixels");
  const ws = /\/w\/([^/?]+)/.exec(page.url())![1];
  const req = ada.context.request;
  const project = await (await req.post(`/api/v1/workspaces/${ws}/projects`, { data: { name: "Site", key: "SIT" }, headers: sameOrigin })).json();
  const dot = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==";
  const description = `Logo: ![tracking pixel](https://tracker.invalid/p.png?who=ada)\n\nInline: ![dot](${dot})`;
  const task = await (await req.post(`/api/v1/projects/${project.id}/tasks`, { data: { title: "Logo", description }, headers: sameOrigin })).json();
  const foreign: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(sameOrigin.Origin) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  await page.goto(`/w/${ws}/p/${project.id}/board?task=${task.id}`);
  const drawer = page.getByTestId("task-drawer");
  await expect(drawer.getByRole("link", { name: "Image: tracking pixel (external)" })).toHaveAttribute("href", "https://tracker.invalid/p.png?who=ada");
  await expect(drawer.locator(".markdown img")).toHaveCount(1);
  await expect(drawer.locator(".markdown img")).toHaveAttribute("src", dot);
  expect(foreign).toEqual([]);
  await ada.context.close();
});

test("sessions: see where you're signed in, sign a device out, change the password, log out everywhere", async ({ browser }) => {
  const laptop = await newPerson(browser, "Ada Lovelace");
  await signUp(laptop);
  await createWorkspace(laptop, "Sessions");
  const ws = /\/w\/([^/?]+)/.exec(laptop.page.url())![1];
  const phone = await newPerson(browser, "Ada on her phone", { viewport: { width: 375, height: 812 } });
  const logIn = async (password: string) => {
    await phone.page.goto("/login");
    await phone.page.getByLabel("Email").fill(laptop.email);
    await phone.page.getByLabel("Password").fill(password);
    await phone.page.getByRole("button", { name: "Log in" }).click();
  };
  const expectSignedOut = async (p: Page) => {
    await p.goto(`/w/${ws}`);
    await expect(p.getByRole("heading", { name: "Welcome back" })).toBeVisible();
  };
  await logIn(laptop.password);
  await expect(phone.page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ })).toBeVisible();

  const page = laptop.page;
  await page.goto(`/w/${ws}/account`);
  const sessions = page.getByRole("region", { name: "Where you're signed in" });
  const rows = sessions.getByTestId("session");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "This device" })).toHaveCount(1);
  await sessions.scrollIntoViewIfNeeded();
  await shot(page, "account-sessions");

  // Sign the phone out from the laptop.
  await rows.filter({ hasNotText: "This device" }).getByRole("button", { name: /^Sign out / }).click();
  await expect(rows).toHaveCount(1);
  await expectSignedOut(phone.page);

  // Change the password: the phone (signed in again) is signed out, the laptop stays.
  await logIn(laptop.password);
  await expect(phone.page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ })).toBeVisible();
  const form = page.getByRole("form", { name: "Password" });
  await form.getByLabel("Current password").fill(laptop.password);
  await form.getByLabel("New password", { exact: true }).fill("an even better passphrase");
  await form.getByLabel("Confirm new password").fill("an even better passphrase");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed. Every other session was signed out.")).toBeVisible();
  await expectSignedOut(phone.page);
  await logIn(laptop.password);
  await expect(phone.page.getByRole("alert")).toContainText("Incorrect email or password");
  await logIn("an even better passphrase");
  await expect(phone.page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ })).toBeVisible();

  // Log out everywhere, from the laptop: both end up at the login page.
  await page.reload();
  await expect(rows).toHaveCount(2);
  await sessions.getByRole("button", { name: "Log out everywhere" }).click();
  await page.getByRole("dialog", { name: "Log out everywhere?" }).getByRole("button", { name: "Log out everywhere" }).click();
  await expect(page.getByRole("heading", { name: "Welcome back" })).toBeVisible();
  await expectSignedOut(page);
  await expectSignedOut(phone.page);
  await laptop.context.close();
  await phone.context.close();
});
