import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { column, createProject, createWorkspace, dragTo, newPerson, quickAdd, sameOrigin, shot, signUp, type Person } from "./helpers";

test.describe.configure({ mode: "serial" });

let A: Person;
let B: Person;
let boardUrl: string;

async function openTask(page: Page, title: string) {
  await page.getByTestId("card").filter({ hasText: title }).click();
  await expect(page.getByTestId("task-drawer")).toBeVisible();
  await expect(page.getByTestId("task-title")).toHaveValue(title);
}

async function closeDrawer(page: Page) {
  await page.getByTestId("task-drawer").getByRole("button", { name: "Close" }).click();
  await expect(page.getByTestId("task-drawer")).toBeHidden();
}

test.beforeAll(async ({ browser }) => {
  A = await newPerson(browser, "Ada Lovelace");
  B = await newPerson(browser, "Grace Hopper");
  await signUp(A);
  await createWorkspace(A, "Engines Inc");
  await createProject(A, "Launch", "LCH");
  await quickAdd(A.page, "To do", "Design the landing page");
  await quickAdd(A.page, "To do", "Write the press release");
  await quickAdd(A.page, "To do", "Fix the signup bug");
  boardUrl = A.page.url();
});

test.afterAll(async () => {
  await A?.context.close();
  await B?.context.close();
});

test("A invites B with a link; B signs up through it and joins", async () => {
  await A.page.getByRole("link", { name: "Members" }).click();
  await A.page.getByRole("button", { name: "Invite" }).click();
  await A.page.getByLabel("Email").fill(B.email);
  await A.page.getByRole("button", { name: "Create invite link" }).click();
  const link = await A.page.getByTestId("invite-link").inputValue();
  expect(link).toContain("/invite/");
  await A.page.getByRole("button", { name: "Done" }).click();

  await B.page.goto(link);
  // The invite names the workspace and who sent it before B has an account; signing up through it joins.
  await expect(B.page.getByRole("heading", { name: "Join Engines Inc" })).toBeVisible();
  await expect(B.page.getByText("Ada Lovelace invited")).toBeVisible();
  await B.page.getByRole("link", { name: "Create an account to join" }).click();
  await signUp(B, B.page.url());
  await expect(B.page.getByRole("heading", { name: /Good (morning|afternoon|evening), Grace/ })).toBeVisible();
  // A sees B arrive live in the member list.
  await expect(A.page.getByText("Grace Hopper")).toBeVisible();
});

test("A drags a card to another column and B sees it glide there without reloading", async () => {
  await A.page.goto(boardUrl);
  await B.page.goto(boardUrl);
  const cardOnB = B.page.getByTestId("card").filter({ hasText: "Design the landing page" });
  await expect(column(B.page, "To do").getByTestId("card").filter({ hasText: "Design the landing page" })).toBeVisible();
  // Both are on the board: each sees the other's presence.
  await expect(A.page.getByTestId("board-presence")).toBeVisible();

  const card = A.page.getByTestId("card").filter({ hasText: "Design the landing page" });
  await dragTo(A.page, card, column(A.page, "In progress"));
  await expect(column(A.page, "In progress").getByTestId("card").filter({ hasText: "Design the landing page" })).toBeVisible();

  await expect(column(B.page, "In progress").getByTestId("card").filter({ hasText: "Design the landing page" })).toBeVisible();
  await expect(cardOnB).toHaveAttribute("data-glided", "1");
  // And it stuck on the server.
  await B.page.reload();
  await expect(column(B.page, "In progress").getByTestId("card").filter({ hasText: "Design the landing page" })).toBeVisible();
});

test("the keyboard moves a card too", async () => {
  await A.page.goto(boardUrl);
  const card = column(A.page, "To do").getByTestId("card").filter({ hasText: "Write the press release" });
  await card.focus();
  await A.page.keyboard.press("Space");
  await A.page.waitForTimeout(150);
  await A.page.keyboard.press("ArrowRight");
  await A.page.waitForTimeout(300);
  await A.page.keyboard.press("Space");
  await expect(column(A.page, "In progress").getByTestId("card").filter({ hasText: "Write the press release" })).toBeVisible();
  await expect(column(B.page, "In progress").getByTestId("card").filter({ hasText: "Write the press release" })).toBeVisible();
});

test("an admin tunes the scoring weights of the workspace's own board", async () => {
  await A.page.getByRole("link", { name: "Settings" }).click();
  await expect(A.page.getByText("profile XP follows the standard model")).toBeVisible();
  const completed = A.page.getByLabel("Completing a task", { exact: true });
  await expect(completed).toHaveValue("30");
  await completed.fill("40");
  await A.page.getByRole("button", { name: "Save weights" }).click();
  await expect(A.page.getByText(/Scoring saved \(version \d+\)/)).toBeVisible();
  // Fair-play limits are platform rules, not settings.
  await expect(A.page.getByLabel("Instant completion seconds")).toHaveCount(0);
});

test("A completes a task and sees +XP, the level bar move and the worker's explanation", async () => {
  await A.page.goto(boardUrl);
  const fill = A.page.getByTestId("xp-fill");
  await expect(fill).toBeVisible();
  const before = await A.page.getByTestId("xp-text").textContent();
  await openTask(A.page, "Fix the signup bug");
  await A.page.getByTestId("task-drawer").getByLabel("Priority").selectOption("high");
  // The server's scoring kernel previews the award on the button (a task seconds old earns nothing yet).
  await expect(A.page.getByTestId("xp-preview")).toHaveText(/^\+\d+ XP$/, { timeout: 40_000 });
  await A.page.getByTestId("complete-button").click();
  const toast = A.page.getByTestId("xp-toast").filter({ hasText: "Fix the signup bug" });
  await expect(toast).toBeVisible();
  await expect(toast.getByTestId("xp-toast-amount")).toHaveText(/^\+\d+ XP$/);
  // The worker's award replaces the estimate, with its explanation.
  await expect(toast).toHaveClass(/is-final/, { timeout: 20_000 });
  // Raised just now, the priority doesn't count: the award uses the values of an hour ago.
  await expect(toast.getByTestId("xp-toast-sentence")).toContainText(/^(— )?Task done/);
  await toast.getByTestId("xp-toast-why").click();
  await expect(toast.getByTestId("reward-breakdown")).toContainText("Completing a task");
  await expect(toast).toContainText("board counts it as"); // this board weighs completions at 40
  await expect(A.page.getByTestId("xp-text")).not.toHaveText(before ?? "");
  // Her first completion unlocks an achievement, announced live.
  await expect(A.page.getByTestId("achievement-toast").filter({ hasText: "First Steps" })).toBeVisible();
  await shot(A.page, "xp-award-light-desktop");
  await expect(A.page.getByTestId("complete-button")).toHaveText(/Reopen/);
  await closeDrawer(A.page);
  await expect(column(A.page, "Done").getByTestId("card").filter({ hasText: "Fix the signup bug" })).toBeVisible();
});

test("a stale edit shows the conflict dialog, and the user chooses", async () => {
  await A.page.goto(boardUrl);
  await openTask(A.page, "Write the press release");
  const title = A.page.getByTestId("task-title");
  await title.click(); // the edit starts from the version on screen
  const taskId = new URL(A.page.url()).searchParams.get("task")!;
  // Meanwhile B renames it.
  const current = await (await B.context.request.get(`/api/v1/tasks/${taskId}`)).json();
  const r = await B.context.request.patch(`/api/v1/tasks/${taskId}`, { data: { title: "Press release v2 (Grace)", version: current.version }, headers: sameOrigin });
  expect(r.ok()).toBeTruthy();
  await title.fill("Press release, final (Ada)");
  await title.press("Enter");
  const dialog = A.page.getByTestId("conflict-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Press release v2 (Grace)");
  await expect(dialog).toContainText("Press release, final (Ada)");
  await shot(A.page, "conflict-light-desktop");
  await dialog.getByRole("button", { name: "Reapply my change" }).click();
  await expect(dialog).toBeHidden();
  await expect(title).toHaveValue("Press release, final (Ada)");
  // B sees A's reapplied title live.
  await expect(B.page.getByTestId("card").filter({ hasText: "Press release, final (Ada)" })).toBeVisible();
  await closeDrawer(A.page);
});

test("B is mentioned in a comment and gets a live notification", async () => {
  await B.page.goto(boardUrl);
  await expect(B.page.getByTestId("unread-count")).toHaveCount(0);
  await A.page.goto(boardUrl);
  await openTask(A.page, "Design the landing page");
  const input = A.page.getByTestId("comment-input");
  await input.click();
  await input.pressSequentially("Looks great @Gra");
  await expect(A.page.getByRole("option", { name: /Grace Hopper/ })).toBeVisible();
  await input.press("Enter");
  await input.pressSequentially("can you review the hero copy?");
  await expect(input).toHaveValue("Looks great @GraceHopper can you review the hero copy?");
  await A.page.getByRole("button", { name: "Comment", exact: true }).click();
  await expect(A.page.getByTestId("comment").filter({ hasText: "can you review" })).toBeVisible();
  await expect(A.page.locator(".mention", { hasText: "@GraceHopper" })).toBeVisible();

  await expect(B.page.getByTestId("unread-count")).toHaveText("1");
  await B.page.getByTestId("bell").click();
  const note = B.page.getByTestId("notification").first();
  await expect(note).toContainText("Ada Lovelace mentioned you");
  await shot(B.page, "notifications-light-desktop");
  await note.click();
  await expect(B.page.getByTestId("task-drawer")).toBeVisible();
  await expect(B.page.getByTestId("comment").filter({ hasText: "can you review" })).toBeVisible();
  await expect(B.page.getByTestId("unread-count")).toHaveCount(0);
  // Both have the task open: each sees the other viewing it.
  await expect(A.page.getByTestId("task-presence")).toHaveAttribute("title", /Grace Hopper/);
  await expect(B.page.getByTestId("task-presence")).toHaveAttribute("title", /Ada Lovelace/);
});

test("A edits her comment inline and B sees it change live", async () => {
  await A.page.goto(boardUrl);
  await B.page.goto(boardUrl);
  await openTask(A.page, "Design the landing page");
  await openTask(B.page, "Design the landing page");
  const onA = A.page.getByTestId("comment").filter({ hasText: "can you review" });
  const onB = B.page.getByTestId("comment").filter({ hasText: "can you review" });
  await expect(onB).toBeVisible();
  await expect(onB.getByText("(edited)")).toHaveCount(0);
  await expect(onB.getByRole("button", { name: "Edit comment" })).toHaveCount(0); // only the author edits
  await expect(B.page.getByTestId("task-presence")).toHaveAttribute("title", /Ada Lovelace/); // B is in the task's room

  // Escape cancels the edit and leaves the drawer open.
  await onA.getByRole("button", { name: "Edit comment" }).click();
  const box = A.page.getByTestId("comment-edit-input");
  await expect(box).toBeFocused();
  await expect(box).toHaveValue("Looks great @GraceHopper can you review the hero copy?");
  await box.press("Escape");
  await expect(box).toBeHidden();
  await expect(A.page.getByTestId("task-drawer")).toBeVisible();
  await expect(onA.getByRole("button", { name: "Edit comment" })).toBeFocused();

  // Edit for real: mention autocomplete works in the edit box; Ctrl+Enter saves.
  await onA.getByRole("button", { name: "Edit comment" }).click();
  await box.press("ControlOrMeta+a");
  await box.pressSequentially("Looks great @Gra");
  await expect(A.page.getByRole("option", { name: /Grace Hopper/ })).toBeVisible();
  await box.press("Enter");
  await box.pressSequentially("can you review the hero copy and the CTA by Friday?");
  await shot(A.page, "comment-editing-light-desktop");
  await box.press("Control+Enter");
  await expect(box).toBeHidden();
  await expect(onA).toContainText("the CTA by Friday?");
  await expect(onA.getByText("(edited)")).toBeVisible();
  await expect(onA.locator(".mention", { hasText: "@GraceHopper" })).toBeVisible();

  // B's drawer follows without a reload (comment.updated).
  await expect(onB).toContainText("can you review the hero copy and the CTA by Friday?");
  await expect(onB.getByText("(edited)")).toBeVisible();
  await shot(B.page, "comment-edited-light-desktop");
  // And it stuck on the server.
  await A.page.reload();
  await expect(A.page.getByTestId("comment").filter({ hasText: "the CTA by Friday?" }).getByText("(edited)")).toBeVisible();
});

test("after a lost connection the app resyncs what it missed", async () => {
  await A.page.goto(boardUrl);
  await expect(A.page.getByText("Live", { exact: true })).toBeVisible();
  await A.context.setOffline(true);
  await expect(A.page.getByText(/Connection lost/)).toBeVisible();
  const card = A.page.getByTestId("card").filter({ hasText: "Design the landing page" });
  const taskId = await card.getAttribute("data-card-id");
  const current = await (await B.context.request.get(`/api/v1/tasks/${taskId}`)).json();
  expect((await B.context.request.patch(`/api/v1/tasks/${taskId}`, { data: { title: "Landing page (renamed offline)", version: current.version }, headers: sameOrigin })).ok()).toBeTruthy();
  await A.page.waitForTimeout(300);
  await expect(A.page.getByTestId("card").filter({ hasText: "Landing page (renamed offline)" })).toHaveCount(0);
  await A.context.setOffline(false);
  await expect(A.page.getByTestId("card").filter({ hasText: "Landing page (renamed offline)" })).toBeVisible({ timeout: 20_000 });
  await expect(A.page.getByText(/Connection lost/)).toBeHidden();
});
