import type { APIRequestContext, BrowserContext, Page } from "@playwright/test";
import { expect, test, watchCsp } from "./fixtures";
import { sameOrigin, shot, uniqueEmail } from "./helpers";

// Copy screen by screen: figures that agree and say what they measure, charts with titled axes and distinct
// ticks, sentences that name their task, plurals that agree, and mentions only where someone is named.
// One owner's workspace, seeded through the API, shared by every test (one browser context).
test.describe.configure({ mode: "serial" });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let ctx: BrowserContext;
let page: Page;
let ws: Json;
let project: Json;
let task: Json;
let me: Json;

async function send(req: APIRequestContext, method: "post" | "patch", url: string, data: unknown): Promise<Json> {
  const r = await req[method](url, { data, headers: sameOrigin });
  expect(r.ok(), `${url}: ${r.status()} ${await r.text()}`).toBeTruthy();
  return r.json();
}

test.beforeAll(async ({ browser }) => {
  ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: "en-US" });
  await watchCsp(ctx);
  page = await ctx.newPage();
  const req = ctx.request;
  me = (await send(req, "post", "/api/v1/auth/signup", { email: uniqueEmail("dana"), password: "correct horse battery", name: "Dana Reyes" })).user;
  ws = await send(req, "post", "/api/v1/workspaces", { name: "Copy Co", timezone: "UTC" });
  project = await send(req, "post", `/api/v1/workspaces/${ws.id}/projects`, { name: "Website", key: "WEB" });
  task = await send(req, "post", `/api/v1/projects/${project.id}/tasks`, { title: "Fix login", due_date: "2026-12-01" });
  task = await send(req, "patch", `/api/v1/tasks/${task.id}`, { due_date: "2026-12-09", version: task.version });
  await send(req, "post", `/api/v1/tasks/${task.id}/comments`, { body: "Over to @Da and @Dana for review." });
  // The reward worker prices the creation and the edit; wait until both awards are in the history.
  await expect(async () => {
    const history = await (await req.get(`/api/v1/users/${me.id}/xp-history`)).json();
    const types = (history.items as Json[]).map((i) => i.event_type);
    expect(types).toEqual(expect.arrayContaining(["task.created", "task.updated"]));
  }).toPass({ timeout: 30_000 });
});

test.afterAll(async () => {
  await ctx?.close();
});

test("analytics figures agree and say over which days they were measured", async () => {
  await page.goto(`/w/${ws.id}/analytics`);
  const figures = page.getByTestId("activity-figures");
  // One member, active on the workspace's only day: one a day, one a week, so 100% (not "0.0" beside 100%).
  await expect(figures.getByTestId("figure-members")).toHaveText("1");
  await expect(figures.getByTestId("figure-daily")).toHaveText("1.0");
  await expect(figures.getByTestId("figure-weekly")).toHaveText("1.0");
  await expect(figures.getByTestId("figure-stickiness")).toHaveText("100%");
  await expect(figures).toContainText(/members, over 1 day since \w{3} \d{1,2}/);
  await expect(figures).not.toContainText(/DAU|WAU|Avg/);
  await shot(page, "copy-analytics");

  // The activity chart titles both value axes and the date axis, with the time zone the days are in.
  const chart = page.getByTestId("activity-chart");
  await expect(chart.locator(".chart-axis-label")).toHaveText(["Date (UTC)", "Active members", "Actions"]);
  // The comparison note names no fields.
  await expect(page.getByRole("region", { name: "Gamification on vs off" })).not.toContainText("`");
});

test("the profile XP chart has titled axes and distinct ticks", async () => {
  await page.goto(`/w/${ws.id}/profile`);
  const chart = page.getByTestId("xp-chart");
  await expect(chart.locator(".chart-axis-label")).toHaveText([/^(Time on \w{3} \d{1,2}|Date)$/, "Total XP"]);
  const tick = chart.locator("text.xp-chart-time");
  await expect(tick.first()).toBeVisible();
  const ticks = await tick.allTextContents();
  await shot(page, "copy-profile");
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  expect(new Set(ticks).size, ticks.join(" | ")).toBe(ticks.length);
});

test("XP history rows name and link their task", async () => {
  await page.goto(`/w/${ws.id}/profile`);
  const edited = page.getByTestId("xp-row").filter({ hasText: "Task edited" });
  const link = edited.getByRole("link", { name: "WEB-1 Fix login" });
  await expect(link).toBeVisible();
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/p/${project.id}/board\\?task=${task.id}`));
  await expect(page.getByRole("dialog")).toContainText("Fix login");
});

test("activity lines are whole sentences that name the task, also for a due-date change", async () => {
  await page.goto(`/w/${ws.id}`);
  const feed = page.getByRole("region", { name: "Team activity" }).getByTestId("activity-sentence");
  await expect(feed.first()).toBeVisible();
  const lines = await feed.allInnerTexts();
  expect(lines).toEqual(
    expect.arrayContaining([
      "Dana Reyes commented on WEB-1 Fix login.",
      "Dana Reyes changed the due date of WEB-1 Fix login to Dec 9.",
      "Dana Reyes created WEB-1 Fix login.",
    ]),
  );
  await shot(page, "copy-activity");
  for (const line of lines) {
    expect(line, line).toMatch(/\.$/);
    expect(line, line).not.toMatch(/_|`|\bon$/);
  }

  // The drawer's own log says the same, naming the task too.
  await page.goto(`/w/${ws.id}/p/${project.id}/board?task=${task.id}`);
  const drawerLines = page.getByRole("dialog").getByTestId("activity-sentence");
  await expect(drawerLines.filter({ hasText: "changed the due date of WEB-1 Fix login to Dec 9." })).toHaveCount(1);
  await expect(drawerLines.filter({ hasText: "due_date" })).toHaveCount(0);
});

test("an @token that names nobody is not styled as a mention; a real one is", async () => {
  await page.goto(`/w/${ws.id}/p/${project.id}/board?task=${task.id}`);
  const comment = page.getByRole("dialog").locator(".markdown").filter({ hasText: "Over to" });
  await expect(comment).toContainText("Over to @Da and @Dana for review.");
  await expect(comment.locator(".mention")).toHaveText(["@Dana"]);
});

test("the leaderboard counts its members in the singular when there is one", async () => {
  await page.goto(`/w/${ws.id}/leaderboard?window=all`);
  await expect(page.getByText(/^1 member ranked/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/members ranked/)).toHaveCount(0);
});
