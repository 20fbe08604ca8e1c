import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Page } from "@playwright/test";
import { expect, test, watchCsp } from "./fixtures";
import { sameOrigin, shot, uniqueEmail } from "./helpers";

test.describe.configure({ mode: "serial" });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VIEWPORTS = { desktop: { width: 1360, height: 860 }, mobile: { width: 375, height: 812 } } as const;
let storage: Awaited<ReturnType<import("@playwright/test").BrowserContext["storageState"]>>;
let ws: Json;
let project: Json;
let featured: Json;

async function post(req: APIRequestContext, url: string, data: unknown): Promise<Json> {
  const r = await req.post(url, { data, headers: sameOrigin });
  expect(r.ok(), `${url}: ${r.status()} ${await r.text()}`).toBeTruthy();
  return r.json();
}

test.beforeAll(async ({ browser }) => {
  const ctx = await browser.newContext();
  await watchCsp(ctx);
  const page = await ctx.newPage();
  await page.goto("/login");
  const req = ctx.request;
  const email = uniqueEmail("maya");
  await post(req, "/api/v1/auth/signup", { email, password: "correct horse battery", name: "Maya Chen" });
  ws = await post(req, "/api/v1/workspaces", { name: "Northwind Studio", timezone: "UTC" });
  for (const [name, e] of [["Leo Park", uniqueEmail("leo")], ["Sam Rivera", uniqueEmail("sam")]]) {
    const inv = await post(req, `/api/v1/workspaces/${ws.id}/invites`, { email: e, role: "member" });
    const other = await browser.newContext();
    await watchCsp(other);
    await post(other.request, "/api/v1/auth/signup", { email: e, password: "correct horse battery", name });
    await post(other.request, `/api/v1/invites/${inv.token}/accept`, {});
    await other.close();
  }
  await req.put(`/api/v1/workspaces/${ws.id}/scoring`, { headers: sameOrigin, data: { ...(await (await req.get(`/api/v1/workspaces/${ws.id}/scoring`)).json()).weights, instant_completion_seconds: 0 } });
  project = await post(req, `/api/v1/workspaces/${ws.id}/projects`, { name: "Website relaunch", key: "WEB", description: "New marketing site, docs and pricing page for the spring launch." });
  await post(req, `/api/v1/workspaces/${ws.id}/projects`, { name: "Mobile app", key: "APP", description: "iOS and Android apps, v2." });
  const members = (await (await req.get(`/api/v1/workspaces/${ws.id}/members`)).json()).items as Json[];
  const ids = members.map((m) => m.user_id);
  const st = project.statuses as Json[];
  const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const past = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const specs: [string, number, string, string[], number[], string | null, number | null][] = [
    ["Hero section copy and illustration", 0, "high", ["design", "copy"], [0], soon, 3],
    ["Pricing page: annual toggle", 0, "medium", ["frontend"], [1], null, 2],
    ["Set up analytics events", 0, "low", ["tracking"], [], null, null],
    ["Migrate blog posts to MDX", 1, "medium", ["content"], [2], past, 5],
    ["Navigation: mobile menu", 1, "urgent", ["frontend", "a11y"], [0, 1], soon, 2],
    ["Docs search with Algolia", 2, "high", ["docs"], [1], null, 8],
    ["Choose the new typeface", 0, "none", ["design"], [0], null, 1],
    ["Kickoff and goals", 1, "low", [], [0, 2], null, null],
  ];
  const created: Json[] = [];
  for (const [title, col, priority, labels, who, due, est] of specs) {
    created.push(await post(req, `/api/v1/projects/${project.id}/tasks`, { title, status_id: st[col].id, priority, labels, assignee_ids: who.map((i) => ids[i]), due_date: due, estimate: est, description: "" }));
  }
  featured = created[0];
  const desc = "We need a **bold** hero that explains MagicTask in one line.\n\n- Headline under 8 words\n- Illustration in brand colours\n- CTA: *Start free*\n\n```\nh1 { font-size: clamp(2rem, 5vw, 4rem) }\n```\n\n<script>alert('xss')</script> stays text.";
  const r = await req.patch(`/api/v1/tasks/${featured.id}`, { data: { description: desc, version: featured.version }, headers: sameOrigin });
  featured = await r.json();
  await post(req, `/api/v1/projects/${project.id}/tasks`, { title: "Write headline options", parent_id: featured.id });
  await post(req, `/api/v1/projects/${project.id}/tasks`, { title: "Sketch the illustration", parent_id: featured.id });
  await post(req, `/api/v1/tasks/${featured.id}/comments`, { body: "First draft is in Figma. @LeoPark can you check the contrast on dark?" });
  await post(req, `/api/v1/tasks/${featured.id}/reactions`, { emoji: "🚀" });
  for (const t of created.slice(6)) await post(req, `/api/v1/tasks/${t.id}/complete`, { version: t.version });
  await post(req, "/api/v1/me/tokens", { name: "CI deploy (GitHub Actions)" });
  storage = await ctx.storageState();
  await ctx.close();
});

const SCREENS: [string, (p: Page) => Promise<void>][] = [
  ["home", async (p) => { await p.goto(`/w/${ws.id}`); await expect(p.getByTestId("project-card").first()).toBeVisible(); }],
  ["board", async (p) => { await p.goto(`/w/${ws.id}/p/${project.id}/board`); await expect(p.getByTestId("card").first()).toBeVisible(); }],
  ["task", async (p) => { await p.goto(`/w/${ws.id}/p/${project.id}/board?task=${featured.id}`); await expect(p.getByTestId("comment").first()).toBeVisible(); await expect(p.getByText("Write headline options")).toBeVisible(); }],
  ["list", async (p) => { await p.goto(`/w/${ws.id}/p/${project.id}/list?sort=-priority`); await expect(p.getByTestId("task-table")).toBeVisible(); }],
  ["profile", async (p) => { await p.goto(`/w/${ws.id}/profile`); await expect(p.getByRole("heading", { name: "Where your XP came from" })).toBeVisible(); }],
  ["achievements", async (p) => { await p.goto(`/w/${ws.id}/achievements`); await expect(p.getByTestId("achievement").first()).toBeVisible(); }],
  ["leaderboard", async (p) => { await p.goto(`/w/${ws.id}/leaderboard`); await expect(p.getByTestId("leaderboard-row").first()).toBeVisible(); }],
  ["members", async (p) => { await p.goto(`/w/${ws.id}/members`); await expect(p.getByText("Sam Rivera")).toBeVisible(); }],
  ["settings", async (p) => { await p.goto(`/w/${ws.id}/settings`); await expect(p.getByLabel("Completing a task", { exact: true })).toBeVisible(); }],
  ["analytics", async (p) => { await p.goto(`/w/${ws.id}/analytics`); await expect(p.getByTestId("activity-chart")).toBeVisible(); await expect(p.getByRole("heading", { name: "Gamification on vs off" })).toBeVisible(); }],
  ["account", async (p) => { await p.goto(`/w/${ws.id}/account`); await expect(p.getByLabel("Time zone")).toBeVisible(); await expect(p.getByTestId("api-token").first()).toBeVisible(); }],
  // Once the shell is complete (the page re-mounts into it when the workspaces arrive), scroll to the tokens.
  ["account-tokens", async (p) => { await p.goto(`/w/${ws.id}/account`); await expect(p.getByTestId("user-menu")).toBeVisible(); await p.getByTestId("api-token").first().scrollIntoViewIfNeeded(); }],
];
const AXE_SCREENS = new Set(["home", "board", "task", "list", "settings", "account"]);

for (const theme of ["light", "dark"] as const) {
  for (const [vpName, viewport] of Object.entries(VIEWPORTS)) {
    test(`screens: ${theme} ${vpName}`, async ({ browser }) => {
      test.setTimeout(150_000); // sixteen screens and six accessibility scans: over a minute on a busy machine
      const anon = await browser.newContext({ viewport, colorScheme: theme });
      await watchCsp(anon);
      const a = await anon.newPage();
      await a.goto("/login");
      await expect(a.getByRole("heading", { name: "Welcome back" })).toBeVisible();
      await shot(a, `login-${theme}-${vpName}`);
      await a.goto("/signup");
      await shot(a, `signup-${theme}-${vpName}`);
      await anon.close();

      const ctx = await browser.newContext({ viewport, colorScheme: theme, storageState: storage });

      await watchCsp(ctx);
      const page = await ctx.newPage();
      for (const [name, open] of SCREENS) {
        await open(page);
        await shot(page, `${name}-${theme}-${vpName}`);
        if (vpName === "desktop" && AXE_SCREENS.has(name) && (theme === "light" || name === "task")) {
          const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
          const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
          expect(bad.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(" | ")}`)).toEqual([]);
        }
      }
      await ctx.close();
    });
  }
}

test("markdown is rendered safely: no raw HTML", async ({ browser }) => {
  const ctx = await browser.newContext({ storageState: storage });
  await watchCsp(ctx);
  const page = await ctx.newPage();
  let alerted = false;
  page.on("dialog", async (d) => { alerted = true; await d.dismiss(); });
  await page.goto(`/w/${ws.id}/p/${project.id}/board?task=${featured.id}`);
  await expect(page.locator(".markdown strong", { hasText: "bold" })).toBeVisible();
  await expect(page.locator(".markdown script")).toHaveCount(0);
  expect(alerted).toBe(false);
  await ctx.close();
});

test("list view: filters and sort live in the URL", async ({ browser }) => {
  const ctx = await browser.newContext({ storageState: storage });
  await watchCsp(ctx);
  const page = await ctx.newPage();
  await page.goto(`/w/${ws.id}/p/${project.id}/list`);
  const rows = page.getByTestId("task-table").locator("tbody tr");
  await expect(rows).toHaveCount(10);
  await page.getByLabel("Priority", { exact: true }).selectOption("urgent");
  await expect(page).toHaveURL(/priority=urgent/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Navigation: mobile menu");
  await page.getByLabel("Search tasks").fill("pricing");
  await expect(page).toHaveURL(/q=pricing/);
  await expect(page.getByText("No tasks match these filters")).toBeVisible();
  // A shared link opens the same view.
  const url = page.url();
  const other = await ctx.newPage();
  await other.goto(url.replace(/priority=urgent&?/, ""));
  await expect(other.getByTestId("task-table").locator("tbody tr")).toHaveCount(1);
  await expect(other.getByTestId("task-table")).toContainText("Pricing page: annual toggle");
  await expect(other.getByLabel("Search tasks")).toHaveValue("pricing");
  await ctx.close();
});
