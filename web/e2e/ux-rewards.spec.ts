import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { newPerson, sameOrigin, shot, uniqueEmail, type Person } from "./helpers";

// Issue 13, items 3 and 6 and the workspace-wide switch of item 4: readable reward toasts that coalesce and
// keep clear of the task drawer, a level up that blocks nothing, a scoring-weights form with help, presets,
// a live preview from the scoring kernel and errors beside the fields, and a confirmed gamification switch.

test.describe.configure({ mode: "serial" });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function post(req: APIRequestContext, url: string, data: unknown): Promise<Json> {
  const r = await req.post(url, { data, headers: sameOrigin });
  expect(r.ok(), `${url}: ${r.status()} ${await r.text()}`).toBeTruthy();
  return r.json();
}

/** Make tasks two hours old, straight in the test server's database. A completion is priced with the values
 * a task had an hour before (and one completed seconds after creation earns nothing): without this, no task
 * made during a test could ever earn its priority, estimate or on-time boost. */
function ageTasks(ids: string[]) {
  const pid = readFileSync(join(process.env.MT_E2E_DATA!, "postgres", "postmaster.pid"), "utf8").split("\n");
  const python = resolve(import.meta.dirname, "../../.venv/bin/python");
  const script = `
import asyncio, sys, asyncpg
async def main():
    c = await asyncpg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="postgres", database="magictask")
    await c.execute("update tasks set created_at = created_at - interval '2 hours' where id = any($1::uuid[])", sys.argv[2:])
    await c.close()
asyncio.run(main())
`;
  execFileSync(python, ["-c", script, pid[3].trim(), ...ids]);
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

let maya: Person;
let ws: Json;
let board: string;
const tasks: Record<string, Json> = {};

function rewards(page: Page): Locator {
  return page.locator(".reward-toaster");
}

function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

test.beforeAll(async ({ browser }) => {
  maya = await newPerson(browser, "Maya Chen");
  const req = maya.context.request;
  const me = await post(req, "/api/v1/auth/signup", { email: maya.email, password: maya.password, name: maya.name });
  ws = await post(req, "/api/v1/workspaces", { name: "Pixel Studio", timezone: "UTC" });
  const leoEmail = uniqueEmail("leo");
  const invite = await post(req, `/api/v1/workspaces/${ws.id}/invites`, { email: leoEmail, role: "member" });
  const leo = await browser.newContext();
  await post(leo.request, "/api/v1/auth/signup", { email: leoEmail, password: "correct horse battery", name: "Leo Park" });
  await post(leo.request, `/api/v1/invites/${invite.token}/accept`, {});
  const project = await post(req, `/api/v1/workspaces/${ws.id}/projects`, { name: "Website", key: "WEB" });
  // Leo hands Maya the work (a task she made for herself would count against a smaller daily budget).
  const mine = { assignee_ids: [me.user.id] };
  tasks.urgent = await post(leo.request, `/api/v1/projects/${project.id}/tasks`, { title: "Ship the pricing page", priority: "urgent", estimate: 5, due_date: day(7), ...mine });
  tasks.roundTrip = await post(leo.request, `/api/v1/projects/${project.id}/tasks`, { title: "Fix the footer links", priority: "medium", ...mine });
  tasks.narrow = await post(leo.request, `/api/v1/projects/${project.id}/tasks`, { title: "Tidy the style guide", priority: "low", ...mine });
  await leo.close();
  ageTasks([tasks.urgent.id, tasks.roundTrip.id, tasks.narrow.id]);
  board = `/w/${ws.id}/p/${project.id}/board`;
});

test.afterAll(async () => {
  await maya?.context.close();
});

async function openTask(page: Page, task: Json) {
  await page.goto(`${board}?task=${task.id}`);
  await expect(page.getByTestId("task-title")).toHaveValue(task.title);
  // The server's scoring kernel previews the award on the button once the task is open.
  await expect(page.getByTestId("xp-preview")).toHaveText(/^\+\d+ XP$/);
}

test("completing a task says what happened in a sentence, with the breakdown one click away", async () => {
  const page = maya.page;
  await openTask(page, tasks.urgent);
  await page.getByTestId("complete-button").click();
  const toast = rewards(page).getByTestId("xp-toast");
  await expect(toast).toHaveClass(/is-final/, { timeout: 20_000 });
  await expect(toast.getByTestId("xp-toast-amount")).toHaveText(/^\+\d+ XP$/);
  await expect(toast.getByTestId("xp-toast-sentence")).toContainText("Urgent 5-point task done a week early");
  await expect(toast).not.toContainText("->"); // no arithmetic log
  await expect(toast).not.toContainText("2026-"); // no raw dates
  // The "+N XP" pill stays on one line.
  const pill = toast.locator(".xp-toast-badge");
  const lineHeight = await pill.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 20);
  expect((await pill.boundingBox())!.height).toBeLessThan(lineHeight * 2);

  await expect(toast.getByTestId("reward-breakdown")).toHaveCount(0);
  // Her first completion also takes her to level 2: that card arrives with the award and moves the stack up;
  // let it land before clicking (a click on where the toast was would land on the drawer's overlay).
  await expect(rewards(page).getByTestId("level-up")).toBeVisible({ timeout: 20_000 });
  await toast.getByTestId("xp-toast-why").click();
  const breakdown = toast.getByTestId("reward-breakdown");
  await expect(breakdown).toContainText("Urgent priority×2");
  await expect(breakdown).toContainText("Estimate: 5 points×1.56");
  await expect(breakdown).toContainText("Done a week early×1.2");
  await expect(breakdown).toContainText("Total");
  await shot(page, "reward-toast-breakdown");
  // The click on the toast did not close the drawer.
  await expect(page.getByTestId("task-drawer")).toBeVisible();
});

test("the level up celebrates beside the drawer without blocking it, and rewards never cover the comment box", async () => {
  const page = maya.page;
  const levelUp = rewards(page).getByTestId("level-up");
  await expect(levelUp).toBeVisible({ timeout: 20_000 }); // her first completion took her past level 1
  await expect(levelUp).toContainText("You reached level 2!");
  await expect(page.getByRole("alertdialog")).toHaveCount(0);

  const drawer = page.getByTestId("task-drawer");
  const comment = drawer.getByLabel("Write a comment");
  await comment.scrollIntoViewIfNeeded();
  const drawerBox = (await drawer.boundingBox())!;
  const commentBox = (await comment.boundingBox())!;
  for (const t of await rewards(page).locator("[data-sonner-toast]").all()) {
    const box = await t.boundingBox();
    if (!box) continue;
    expect(overlaps(box, commentBox), "a reward toast covers the comment box").toBe(false);
    expect(overlaps(box, drawerBox), "a reward toast covers the task drawer").toBe(false);
  }
  // The drawer works while the celebration shows: type a comment, change a field.
  await comment.click();
  await comment.fill("Shipped, thanks Leo!");
  await expect(comment).toHaveValue("Shipped, thanks Leo!");
  await drawer.getByLabel("Priority").selectOption("high");
  await expect(drawer.getByLabel("Priority")).toHaveValue("high");
  await expect(levelUp).toBeVisible();
  await levelUp.getByRole("button", { name: "Dismiss" }).click();
  await expect(levelUp).toBeHidden();
  await expect(drawer).toBeVisible();
});

test("complete, reopen and complete again: one reward toast, updated in place, never a stale estimate", async () => {
  const page = maya.page;
  await openTask(page, tasks.roundTrip);
  const toast = rewards(page).getByTestId("xp-toast");
  const button = page.getByTestId("complete-button");

  await button.click();
  await expect(toast).toHaveCount(1);
  await expect(toast).toHaveClass(/is-final/, { timeout: 20_000 });
  await expect(toast.getByTestId("xp-toast-sentence")).toContainText("Medium-priority task done");
  await expect(button).toHaveText(/Reopen/);

  await button.click();
  await expect(toast.getByTestId("xp-toast-sentence")).toHaveText(/Task reopened: its XP is taken back/, { timeout: 20_000 });
  await expect(toast.getByTestId("xp-toast-amount")).toHaveText(/^−\d+ XP$/);
  await expect(toast).toHaveCount(1);
  await expect(button).toHaveText(/Complete/);

  await expect(page.getByTestId("xp-preview")).toHaveText(/^\+\d+ XP$/);
  await button.click();
  await expect(toast).toHaveCount(1);
  await expect(toast.getByTestId("xp-toast-sentence")).toHaveText(/Task completed again: its XP is back/, { timeout: 20_000 });
  await expect(toast).toHaveClass(/is-final/);
  await expect(rewards(page).locator(".xp-toast.is-estimate")).toHaveCount(0);
  await expect(toast).toHaveCount(1);
});

test("on a screen too narrow to sit beside the drawer, the reward shows in one line over the header, clear of the drawer's body", async () => {
  const page = maya.page;
  await page.setViewportSize({ width: 900, height: 800 });
  try {
    await openTask(page, tasks.narrow);
    await page.getByTestId("complete-button").click();
    const toast = rewards(page).getByTestId("xp-toast");
    await expect(toast).toHaveClass(/is-final/, { timeout: 20_000 });
    await expect(toast.getByTestId("xp-toast-sentence")).toContainText("Low-priority task done");
    const body = (await page.locator(".drawer-body").boundingBox())!;
    for (const t of await rewards(page).locator("[data-sonner-toast]").all()) {
      const box = await t.boundingBox();
      if (box) expect(overlaps(box, body), "a reward toast covers the drawer's body").toBe(false);
    }
    await shot(page, "reward-toast-narrow");
  } finally {
    await page.setViewportSize({ width: 1280, height: 720 });
  }
});

test("scoring weights: sections, help per field, presets that fill the draft, a live preview from the kernel", async () => {
  const page = maya.page;
  await page.goto(`/w/${ws.id}/settings`);
  for (const h of ["Finishing work", "Everyday task work", "Working together", "Daily rhythm"]) await expect(page.getByRole("heading", { name: h })).toBeVisible();
  const completing = page.getByLabel("Completing a task", { exact: true });
  await expect(completing).toHaveValue("30");
  await expect(completing).toHaveAccessibleDescription(/XP for finishing a task.*20–50/);
  await expect(page.getByLabel("Largest streak boost")).toHaveAccessibleDescription(/1 turns streak boosts off/);

  const preview = page.getByTestId("weights-preview");
  const urgentRow = preview.locator('tr[data-example="urgent_task"]');
  await expect(urgentRow).toContainText("Complete an urgent task");
  const before = await urgentRow.getByTestId("draft-xp").textContent();
  await expect(preview.locator('tr[data-example="comment"]')).toContainText("8 XP");
  await expect(preview.locator('tr[data-example="daily_login"]')).toBeVisible();

  await page.getByTestId("preset-delivery").click();
  await expect(completing).toHaveValue("45");
  await expect(page.getByLabel("Urgent", { exact: true })).toHaveValue("2.5");
  // The preview follows the draft: urgent work earns more, comments less; nothing saved yet.
  await expect(urgentRow.getByTestId("draft-xp")).not.toHaveText(before ?? "");
  await expect(urgentRow.locator(".delta.up")).toBeVisible();
  await expect(page.getByTestId("preset-delivery")).toHaveAttribute("aria-pressed", "true");
  await preview.scrollIntoViewIfNeeded();
  await shot(page, "weights-preset-preview");
  await expect(preview.locator('tr[data-example="comment"] .delta.down')).toHaveText("−3");
  const saved = await (await page.request.get(`/api/v1/workspaces/${ws.id}/scoring`)).json();
  expect(saved.weights.task_completed).toBe(30);

  await page.getByTestId("preset-collaboration").click();
  await expect(page.getByLabel("Writing a comment", { exact: true })).toHaveValue("14");
  await expect(preview.locator('tr[data-example="comment"] [data-testid="draft-xp"]')).toContainText("14 XP");
});

test("weights errors show beside each field, all at once, in plain words", async () => {
  const page = maya.page;
  await page.goto(`/w/${ws.id}/settings`);
  await expect(page.getByTestId("weights-preview")).toBeVisible();
  const completing = page.getByLabel("Completing a task", { exact: true });
  const comment = page.getByLabel("Writing a comment", { exact: true });
  const reacting = page.getByLabel("Reacting to work", { exact: true });
  await completing.fill("-5");
  await comment.fill("5000");
  await reacting.fill("");
  await expect(completing).toHaveAttribute("aria-invalid", "true");
  await expect(completing).toHaveAccessibleDescription(/Use 0 or more/);
  await expect(comment).toHaveAccessibleDescription(/Use 1000 or less/);
  await expect(reacting).toHaveAccessibleDescription(/Enter a number/);
  await expect(page.getByTestId("field-error")).toHaveCount(3);
  await shot(page, "weights-errors");
  await expect(page.getByRole("button", { name: "Save weights" })).toBeDisabled();
  await expect(page.locator("[data-sonner-toast]")).toHaveCount(0); // beside the fields, not as toasts

  await comment.fill("12");
  await reacting.fill("1");
  await completing.fill("35");
  await expect(page.getByTestId("field-error")).toHaveCount(0);
  await page.getByRole("button", { name: "Save weights" }).click();
  await expect(page.getByText(/Scoring saved \(version \d+\)/)).toBeVisible();
});

test("turning gamification off for the workspace asks first and says what happens", async () => {
  const page = maya.page;
  await page.goto(`/w/${ws.id}/settings`);
  const toggle = page.getByRole("switch", { name: "Gamification" });
  await expect(toggle).toBeChecked();
  await toggle.click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Turn off gamification for everyone in Pixel Studio?");
  await expect(dialog).toContainText("Nobody earns XP");
  await expect(dialog).toContainText("XP already earned is kept");
  await shot(page, "gamification-off-confirm");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(toggle).toBeChecked();
  let current = (await (await page.request.get("/api/v1/workspaces")).json()) as Json[] | Json;
  const find = (list: Json[] | Json) => (Array.isArray(list) ? list : (list.items as Json[])).find((w: Json) => w.id === ws.id)!;
  expect(find(current).gamification_enabled).toBe(true);

  await toggle.click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Turn off gamification" }).click();
  await expect(toggle).not.toBeChecked();
  await expect(async () => {
    current = await (await page.request.get("/api/v1/workspaces")).json();
    expect(find(current).gamification_enabled).toBe(false);
  }).toPass();
});
