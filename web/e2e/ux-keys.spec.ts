import type { APIRequestContext, BrowserContext, Page } from "@playwright/test";
import { expect, test, watchCsp } from "./fixtures";
import { column, sameOrigin, uniqueEmail } from "./helpers";

// Issue 13, item 7: board search and filters shared with the list (same URL), keyboard shortcuts with a
// "?" cheat sheet, and four columns that fit at 1440 px.
test.describe.configure({ mode: "serial" });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let ctx: BrowserContext;
let page: Page;
let boardUrl: string;
let listUrl: string;

async function post(req: APIRequestContext, url: string, data: unknown): Promise<Json> {
  const r = await req.post(url, { data, headers: sameOrigin });
  expect(r.ok(), `${url}: ${r.status()} ${await r.text()}`).toBeTruthy();
  return r.json();
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

test.beforeAll(async ({ browser }) => {
  ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await watchCsp(ctx);
  page = await ctx.newPage();
  await page.goto("/login");
  const req = ctx.request;
  await post(req, "/api/v1/auth/signup", { email: uniqueEmail("kira"), password: "correct horse battery", name: "Kira Holm" });
  const ws = await post(req, "/api/v1/workspaces", { name: "Keyboard Club", timezone: "UTC" });
  const project = await post(req, `/api/v1/workspaces/${ws.id}/projects`, { name: "Launch", key: "LCH" });
  const st = project.statuses as Json[];
  const myId = (await (await req.get("/api/v1/me")).json()).id;
  const specs: [string, number, string, string[], boolean, string | null][] = [
    ["Fix the signup bug", 0, "urgent", ["bug"], true, day(-3)],
    ["Pricing page toggle", 0, "medium", ["frontend"], false, null],
    ["Write launch notes", 1, "low", [], true, null],
    ["Polish onboarding emails", 2, "high", ["copy"], false, day(-2)],
    ["Draft the press kit", 3, "none", [], false, null],
  ];
  for (const [title, col, priority, labels, mine, due] of specs) {
    await post(req, `/api/v1/projects/${project.id}/tasks`, { title, status_id: st[col].id, priority, labels, assignee_ids: mine ? [myId] : [], due_date: due });
  }
  boardUrl = `/w/${ws.id}/p/${project.id}/board`;
  listUrl = `/w/${ws.id}/p/${project.id}/list`;
});

test.afterAll(async () => {
  await ctx.close();
});

const cards = () => page.getByTestId("card");
const rows = () => page.getByTestId("task-table").locator("tbody tr");

test("board filters live in the URL, carry over to the list, survive a reload and a shared link", async () => {
  await page.goto(boardUrl);
  await expect(cards()).toHaveCount(5);
  const bar = page.getByTestId("filter-bar");
  await bar.getByLabel("Assignee").selectOption("none");
  await bar.getByLabel("Due").selectOption("none");
  await expect(page).toHaveURL(/assignee=none/);
  await expect(page).toHaveURL(/due=none/);
  await expect(cards()).toHaveCount(2);
  await expect(cards().filter({ hasText: "Pricing page toggle" })).toBeVisible();
  await expect(cards().filter({ hasText: "Draft the press kit" })).toBeVisible();
  await expect(page.getByTestId("filter-summary")).toHaveText("2 of 5 tasks");

  // Board -> list: the same parameters and the same tasks.
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "List" }).click();
  await expect(page).toHaveURL(/\/list\?/);
  const listQuery = new URL(page.url()).searchParams;
  expect(listQuery.get("assignee")).toBe("none");
  expect(listQuery.get("due")).toBe("none");
  await expect(rows()).toHaveCount(2);
  await expect(page.getByTestId("task-table")).toContainText("Pricing page toggle");
  await expect(page.getByTestId("task-table")).toContainText("Draft the press kit");
  await expect(bar.getByLabel("Assignee")).toHaveValue("none");
  await expect(bar.getByLabel("Due")).toHaveValue("none");

  // Text search typed in the list filters the board too.
  await bar.getByLabel("Assignee").selectOption("");
  await bar.getByLabel("Due").selectOption("overdue");
  await bar.getByLabel("Search tasks").fill("signup");
  await expect(page).toHaveURL(/q=signup/);
  await expect(rows()).toHaveCount(1);
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Board" }).click();
  await expect(page).toHaveURL(/\/board\?.*q=signup/);
  await expect(cards()).toHaveCount(1);
  await expect(cards().first()).toContainText("Fix the signup bug");
  await expect(bar.getByLabel("Search tasks")).toHaveValue("signup");

  // A reload keeps them.
  await page.reload();
  await expect(cards()).toHaveCount(1);
  await expect(bar.getByLabel("Due")).toHaveValue("overdue");

  // "Assigned to me" and priority, opened from a shared link in another tab.
  const other = await ctx.newPage();
  await other.goto(`${boardUrl}?assignee=me&priority=low`);
  await expect(other.getByTestId("card")).toHaveCount(1);
  await expect(other.getByTestId("card").first()).toContainText("Write launch notes");
  await expect(other.getByTestId("filter-bar").getByLabel("Assignee")).toHaveValue("me");
  await other.close();

  // Clear brings everything back.
  await bar.getByRole("button", { name: "Clear" }).click();
  await expect(cards()).toHaveCount(5);
  await expect(page).not.toHaveURL(/q=|due=/);

  // A label typed in any case finds the (lower-case) label.
  await bar.getByLabel("Label").fill("Bug");
  await expect(page).toHaveURL(/label=bug/);
  await expect(cards()).toHaveCount(1);
  await bar.getByRole("button", { name: "Clear" }).click();
  await expect(cards()).toHaveCount(5);
  await expect(bar.getByLabel("Label")).toHaveValue("");
});

test("shortcuts: ? cheat sheet, / search, C create, J/K focus, Enter opens, Esc closes, G then L/B", async () => {
  await page.goto(boardUrl);
  await expect(cards()).toHaveCount(5);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

  await page.keyboard.press("?");
  const sheet = page.getByTestId("shortcuts-dialog");
  await expect(sheet).toBeVisible();
  await expect(sheet.getByRole("heading", { name: "Keyboard shortcuts" })).toBeVisible();
  for (const text of ["Show keyboard shortcuts", "Search tasks", "Create a task", "Focus the next task", "Focus the previous task", "Open the focused task", "Close the open task or dialog", "Go to the board", "Go to the list"]) {
    await expect(sheet).toContainText(text);
  }
  await page.keyboard.press("Escape");
  await expect(sheet).toBeHidden();

  await page.keyboard.press("/");
  const search = page.getByLabel("Search tasks");
  await expect(search).toBeFocused();
  await expect(search).toHaveValue("");
  await page.keyboard.press("Escape");
  await expect(search).not.toBeFocused();

  await page.keyboard.press("c");
  const quick = column(page, "To do").getByLabel("New task in To do");
  await expect(quick).toBeFocused();
  await expect(quick).toHaveValue("");
  await page.keyboard.press("Escape");
  await expect(quick).toBeHidden();

  await page.keyboard.press("j");
  const first = cards().nth(0);
  await expect(first).toBeFocused();
  expect(await first.evaluate((el) => el.matches(":focus-visible"))).toBe(true);
  await page.keyboard.press("j");
  await expect(cards().nth(1)).toBeFocused();
  await page.keyboard.press("k");
  await expect(first).toBeFocused();
  await page.keyboard.press("Enter");
  const drawer = page.getByTestId("task-drawer");
  await expect(drawer).toBeVisible();
  await expect(page).toHaveURL(/task=/);
  await page.keyboard.press("Escape");
  await expect(drawer).toBeHidden();
  await expect(page).not.toHaveURL(/task=/);

  await page.keyboard.press("g");
  await page.keyboard.press("l");
  await expect(page).toHaveURL(/\/list$/);
  await expect(rows()).toHaveCount(5);
  await page.keyboard.press("j");
  await expect(rows().nth(0)).toBeFocused();
  await page.keyboard.press("j");
  await expect(rows().nth(1)).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(drawer).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(drawer).toBeHidden();

  // C in the list opens its create form; the new task opens in the drawer.
  await page.keyboard.press("c");
  const dialog = page.getByTestId("new-task-dialog");
  await expect(dialog.getByLabel("Title")).toBeFocused();
  await page.keyboard.type("Made from the keyboard");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(drawer).toBeVisible();
  await expect(drawer.getByTestId("task-title")).toHaveValue("Made from the keyboard");
  await page.keyboard.press("Escape");
  await expect(drawer).toBeHidden();
  await expect(rows()).toHaveCount(6);

  await page.keyboard.press("g");
  await page.keyboard.press("b");
  await expect(page).toHaveURL(/\/board$/);
  await expect(cards()).toHaveCount(6);
});

test("shortcuts stay quiet while typing and with Ctrl, Cmd or Alt held", async () => {
  await page.goto(boardUrl);
  await expect(cards().first()).toBeVisible();
  const search = page.getByLabel("Search tasks");
  await search.click();
  await page.keyboard.type("?cjk/g");
  await expect(search).toHaveValue("?cjk/g");
  await expect(search).toBeFocused();
  await expect(page.getByTestId("shortcuts-dialog")).toHaveCount(0);
  await expect(page.getByLabel("New task in To do")).toHaveCount(0);
  await search.fill("");
  await page.keyboard.press("Escape");

  // A textarea (the task's description editor) and a contenteditable are fields too.
  await page.evaluate(() => {
    const el = document.createElement("div");
    el.contentEditable = "true";
    el.setAttribute("data-testid", "editable");
    el.textContent = "x";
    document.body.append(el);
  });
  await page.getByTestId("editable").click();
  await page.keyboard.press("c");
  await page.keyboard.press("j");
  await expect(page.getByLabel("New task in To do")).toHaveCount(0);
  await expect(page.getByTestId("editable")).toBeFocused();
  await page.getByTestId("editable").evaluate((el) => el.remove());

  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  for (const mod of ["Control", "Alt", "Meta"]) {
    await page.keyboard.press(`${mod}+j`);
    await expect(cards().first()).not.toBeFocused();
  }
  await page.keyboard.press("Alt+c");
  await page.keyboard.press("Control+?");
  await expect(page.getByLabel("New task in To do")).toHaveCount(0);
  await expect(page.getByTestId("shortcuts-dialog")).toHaveCount(0);

  // Inside an open task, the page's shortcuts wait: typing in the title doesn't move focus or open forms.
  await cards().first().click();
  const drawer = page.getByTestId("task-drawer");
  await expect(drawer).toBeVisible();
  await page.keyboard.press("j");
  await page.keyboard.press("c");
  await expect(page.getByLabel("New task in To do")).toHaveCount(0);
  await page.keyboard.press("Escape");
  await expect(drawer).toBeHidden();
});

async function boardOverflow() {
  return page.getByTestId("board").evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
}

async function columnWidths() {
  return Promise.all((await page.getByTestId("column").all()).map(async (c) => (await c.boundingBox())!.width));
}

test("the four default columns fit at 1280 and 1440 px; more columns than fit scroll sideways", async () => {
  for (const width of [1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(boardUrl);
    await expect(page.getByTestId("column")).toHaveCount(4);
    const done = column(page, "Done");
    const box = (await done.boundingBox())!;
    expect(box.x, `Done at ${width} px`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `Done at ${width} px`).toBeLessThanOrEqual(width);
    await expect(done.getByRole("button", { name: "Done column options" })).toBeInViewport({ ratio: 1 });
    const { scroll, client } = await boardOverflow();
    expect(scroll, `board at ${width} px`).toBeLessThanOrEqual(client);
    // Every column keeps a readable width.
    for (const w of await columnWidths()) expect(w).toBeGreaterThanOrEqual(210);
  }

  const projectId = boardUrl.split("/p/")[1].split("/")[0];
  for (const name of ["QA", "Staging", "Blocked"]) await post(ctx.request, `/api/v1/projects/${projectId}/statuses`, { name, category: "in_progress" });
  await page.reload();
  await expect(page.getByTestId("column")).toHaveCount(7);
  const { scroll, client } = await boardOverflow();
  expect(scroll).toBeGreaterThan(client);
  for (const w of await columnWidths()) expect(w).toBeGreaterThanOrEqual(210);
});
