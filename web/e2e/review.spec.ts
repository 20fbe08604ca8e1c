import { expect, test, type APIRequestContext } from "@playwright/test";
import { sameOrigin, shot, uniqueEmail } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function post(req: APIRequestContext, url: string, data: unknown): Promise<Json> {
  // Cookie-authenticated changes must say they come from MagicTask's own pages (the Origin check).
  const r = await req.post(url, { data, headers: sameOrigin });
  expect(r.ok(), `${url}: ${r.status()} ${await r.text()}`).toBeTruthy();
  return r.json();
}

test("a member flags an award, an admin corrects it from the review queue, the member sees it live", async ({ browser }) => {
  // Set-up through the API: Olga owns the workspace, Grace is a member with an award from the reward worker.
  const olga = await browser.newContext();
  const grace = await browser.newContext();
  const graceEmail = uniqueEmail("grace");
  await post(olga.request, "/api/v1/auth/signup", { email: uniqueEmail("olga"), password: "correct horse battery", name: "Olga Owner" });
  const ws = await post(olga.request, "/api/v1/workspaces", { name: "Fair Play Co", timezone: "UTC" });
  const invite = await post(olga.request, `/api/v1/workspaces/${ws.id}/invites`, { email: graceEmail, role: "member" });
  const me = await post(grace.request, "/api/v1/auth/signup", { email: graceEmail, password: "correct horse battery", name: "Grace Hopper" });
  await post(grace.request, `/api/v1/invites/${invite.token}/accept`, {});
  const project = await post(olga.request, `/api/v1/workspaces/${ws.id}/projects`, { name: "Launch", key: "LCH" });
  await post(grace.request, `/api/v1/projects/${project.id}/tasks`, { title: "Write the launch post" });
  let award: Json | undefined;
  await expect(async () => {
    const history = await (await grace.request.get(`/api/v1/users/${me.user.id}/xp-history`)).json();
    award = (history.items as Json[]).find((i) => i.workspace_id === ws.id && i.xp > 0 && i.corrects_id === null);
    expect(award).toBeTruthy();
  }).toPass({ timeout: 30_000 });
  const original = award!.xp as number;

  // Grace flags her award from her profile.
  const g = await grace.newPage();
  await g.goto(`/w/${ws.id}/profile`);
  const row = g.locator(`[data-testid=xp-row][data-ledger-id="${award!.id}"]`);
  await expect(row.getByTestId("xp-amount")).toHaveText(`+${original} XP`);
  await row.getByRole("button").first().click();
  await row.getByRole("button", { name: "Flag for review" }).click();
  const flagDialog = g.getByTestId("flag-dialog");
  await flagDialog.getByLabel("Reason").fill("I created this twice by mistake");
  await flagDialog.getByRole("button", { name: "Send flag" }).click();
  await expect(flagDialog).toBeHidden();
  await expect(row.getByTestId("review-chip")).toHaveText("Flagged for review");
  await expect(row.getByTestId("flag")).toContainText("I created this twice by mistake");

  // Olga finds it in the review queue and corrects it; a value above the original is refused beside the field.
  const o = await olga.newPage();
  await o.goto(`/w/${ws.id}/analytics`);
  const item = o.getByTestId("review-item").filter({ hasText: "Grace Hopper" });
  await expect(item).toContainText("I created this twice by mistake");
  await shot(o, "review-queue");
  await item.getByRole("button", { name: "Adjust…" }).click();
  const resolve = o.getByTestId("resolve-dialog");
  const xp = resolve.getByLabel("New value (XP)");
  await xp.fill(String(original + 100));
  await resolve.getByLabel("Note").fill("Duplicate task: no XP for the copy");
  await resolve.getByRole("button", { name: "Correct and resolve" }).click();
  await expect(xp).toHaveAttribute("aria-invalid", "true");
  await expect(resolve.getByRole("alert")).toContainText(`between 0 and ${original}`);
  await xp.fill("0");
  await resolve.getByRole("button", { name: "Correct and resolve" }).click();
  await expect(resolve).toBeHidden();
  await expect(o.getByTestId("review-queue")).toContainText("Nothing to review");

  // Grace's open profile updates by itself: the award now shows 0, the original struck through.
  await expect(row.getByTestId("xp-amount")).toHaveText(`+${original}0 XP`);
  await expect(row.getByText("Corrected")).toBeVisible();
  await expect(row.getByTestId("correction")).toContainText(`${original} → 0 XP by Olga Owner`);
  await expect(row.getByTestId("flag")).toContainText("Adjusted after review");
  await expect(g.getByTestId("bell")).toHaveAccessibleName(/unread/);
  await shot(g, "xp-history-corrected");
  await olga.close();
  await grace.close();
});
