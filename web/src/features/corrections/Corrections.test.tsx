import { QueryClient } from "@tanstack/react-query";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { LedgerItem } from "../../api/client";
import { makeExplanation, renderWithProviders, stubFetch } from "../../test/utils";
import type { RealtimeEvent } from "../../realtime/socket";
import type { Anomalies, ReviewItem } from "./api";
import { AnomaliesPanel } from "./Anomalies";
import { onReviewNotification, reviewText } from "./live";
import { ReviewQueue } from "./ReviewQueue";
import { XpHistoryList } from "./XpHistory";

const me = { id: "u-me", email: "me@example.com", name: "Mia Member", timezone: "UTC", skip_weekends: false, leaderboard_opt_out: false, created_at: "2026-01-01T00:00:00Z" };
const workspace = (role: "owner" | "admin" | "member") => ({ id: "w1", name: "Fair Play", role, timezone: "UTC", gamification_enabled: true, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" });
const at = "2026-03-01T10:00:00Z";

function award(over: Partial<LedgerItem> = {}): LedgerItem {
  return { id: 7, event_id: 70, event_type: "task.completed", role: "actor", xp: 30, board_xp: 45, corrected_xp: null, corrects_id: null, workspace_id: "w1", task_id: "t1", occurred_at: at, explanation: makeExplanation({ base: { name: "task_completed", xp: 30 } }), corrections: [], flags: [], ...over };
}

const corrected = award({
  corrected_xp: 10,
  corrections: [{ id: 1, ledger_id: 7, user_id: "u-me", workspace_id: "w1", original_xp: 30, previous_xp: 30, xp: 10, delta: -20, board_delta: -30, reason: "Estimate padded", created_by: { id: "u-admin", name: "Adam Admin" }, flag_id: 3, created_at: at }],
  flags: [{ id: 3, ledger_id: 7, workspace_id: "w1", award_user_id: "u-me", status: "adjusted", reason: "Same work twice", flagged_by: { id: "u-peer", name: "Pete Peer" }, created_at: at, resolved_by: { id: "u-admin", name: "Adam Admin" }, resolved_at: at, resolution: "Trimmed" }],
});

function serve(role: "owner" | "admin" | "member", routes: Parameters<typeof stubFetch>[0] = {}) {
  return stubFetch({
    "GET /api/v1/me": () => [200, me],
    "GET /api/v1/workspaces": () => [200, { items: [workspace(role)], next_cursor: null }],
    ...routes,
  });
}

const row = () => screen.getByTestId("xp-row");
const open = () => fireEvent.click(within(row()).getAllByRole("button")[0]);

describe("XP history with reviews", () => {
  it("shows a corrected award struck through, then its corrections and flags", async () => {
    serve("member");
    renderWithProviders(<XpHistoryList items={[corrected]} />);
    const amount = within(row()).getByTestId("xp-amount");
    expect(amount).toHaveTextContent("+30+10 XP");
    expect(within(amount).getByLabelText("originally 30 XP").tagName).toBe("S");
    expect(within(row()).getByText("Corrected")).toBeInTheDocument();
    open();
    expect(screen.getByTestId("correction")).toHaveTextContent("30 → 10 XP by Adam Admin");
    expect(screen.getByTestId("correction")).toHaveTextContent("Estimate padded");
    expect(screen.getByTestId("flag")).toHaveTextContent("Adjusted after review · Pete Peer");
    expect(screen.getByTestId("flag")).toHaveTextContent("Adam Admin: “Trimmed”");
    expect(screen.getByText("On this workspace's board: +45 XP")).toBeInTheDocument();
  });

  it("labels a correction row and offers no actions on it", async () => {
    serve("admin");
    renderWithProviders(<XpHistoryList items={[award({ id: 9, event_type: "xp.adjusted", xp: -20, board_xp: -30, corrects_id: 7 })]} />);
    expect(row()).toHaveTextContent("Correction of award #7");
    expect(within(row()).getByTestId("xp-amount")).toHaveTextContent("-20 XP");
    open();
    await screen.findByText("On this workspace's board: -30 XP");
    expect(screen.queryByRole("button", { name: "Flag for review" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Correct" })).toBeNull();
  });

  it("leaves out the 0 XP rows of review events, which are never scored", () => {
    serve("member");
    renderWithProviders(<XpHistoryList items={[award({ id: 8, event_type: "xp.flagged", xp: 0, board_xp: 0 }), award()]} />);
    expect(screen.getAllByTestId("xp-row").map((r) => r.dataset.ledgerId)).toEqual(["7"]);
  });

  it("lets a member flag an award with a reason, never correct it", async () => {
    const calls = serve("member", {
      "POST /api/v1/xp/awards/{id}/flags": () => [201, { id: 4, status: "open" }],
    });
    renderWithProviders(<XpHistoryList items={[award()]} />);
    open();
    fireEvent.click(await screen.findByRole("button", { name: "Flag for review" }));
    expect(screen.queryByRole("button", { name: "Correct" })).toBeNull();
    const dialog = await screen.findByTestId("flag-dialog");
    fireEvent.click(within(dialog).getByRole("button", { name: "Send flag" }));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Say what looks wrong");
    fireEvent.change(within(dialog).getByLabelText("Reason"), { target: { value: "Completed twice" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Send flag" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")).toMatchObject({ path: "/api/v1/xp/awards/7/flags", body: { reason: "Completed twice" } });
    await waitFor(() => expect(screen.queryByTestId("flag-dialog")).toBeNull());
  });

  it("hides Flag for an award the viewer already flagged", async () => {
    serve("admin");
    const flagged = award({ flags: [{ ...corrected.flags[0], status: "open", flagged_by: { id: "u-me", name: "Mia Member" }, resolution: null, resolved_by: null, resolved_at: null }] });
    renderWithProviders(<XpHistoryList items={[flagged]} />);
    expect(within(row()).getByText("Flagged for review")).toBeInTheDocument();
    open();
    await screen.findByRole("button", { name: "Correct" }); // the viewer's roles have loaded
    expect(screen.queryByRole("button", { name: "Flag for review" })).toBeNull();
  });

  it("lets an admin correct an award and shows the server's field error beside the field", async () => {
    let attempt = 0;
    const calls = serve("admin", {
      "POST /api/v1/xp/awards/{id}/corrections": (body) => {
        attempt += 1;
        if (attempt === 1) return [422, { error: { code: "validation_error", message: "xp must be between 0 and 30, the award's original XP", field: "xp" } }];
        return [201, { id: 2, previous_xp: 30, xp: (body as { xp: number }).xp }];
      },
    });
    renderWithProviders(<XpHistoryList items={[award()]} />);
    open();
    fireEvent.click(await screen.findByRole("button", { name: "Correct" }));
    const dialog = await screen.findByTestId("correct-dialog");
    const xp = within(dialog).getByLabelText("New value (XP)");
    expect(xp).toHaveValue("30");
    fireEvent.change(xp, { target: { value: "ten" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save correction" }));
    expect(xp).toHaveAccessibleDescription("Enter a whole number of XP, 0 or more");
    expect(within(dialog).getByLabelText("Reason")).toHaveAccessibleDescription("Say why: the person sees it in their history");
    fireEvent.change(xp, { target: { value: "99" } });
    fireEvent.change(within(dialog).getByLabelText("Reason"), { target: { value: "Padded estimate" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save correction" }));
    await waitFor(() => expect(xp).toHaveAccessibleDescription("xp must be between 0 and 30, the award's original XP"));
    expect(xp).toHaveAttribute("aria-invalid", "true");
    fireEvent.change(xp, { target: { value: "10" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save correction" }));
    await waitFor(() => expect(screen.queryByTestId("correct-dialog")).toBeNull());
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts.map((c) => c.body)).toEqual([{ xp: 99, reason: "Padded estimate" }, { xp: 10, reason: "Padded estimate" }]);
  });
});

const queued: ReviewItem = {
  id: 3, ledger_id: 7, workspace_id: "w1", award_user_id: "u-me", status: "open", reason: "Same work twice", flagged_by: { id: "u-peer", name: "Pete Peer" }, created_at: at, resolved_by: null, resolved_at: null, resolution: null,
  award: { ledger_id: 7, user: { id: "u-me", name: "Mia Member" }, event_type: "task.completed", role: "actor", xp: 30, board_xp: 45, corrected_xp: null, task_id: "t1", task_title: "Write the spec", occurred_at: at, explanation: makeExplanation() },
};

describe("Review queue", () => {
  it("lists open flags with their award and resolves one by adjusting it", async () => {
    const calls = serve("admin", {
      "GET /api/v1/workspaces/{id}/xp-flags": () => [200, { items: [queued], next_cursor: null }],
      "POST /api/v1/xp-flags/{id}/resolve": () => [200, { flag: { ...queued, status: "adjusted" }, correction: { previous_xp: 30, xp: 0 } }],
    });
    renderWithProviders(<ReviewQueue ws="w1" />);
    const item = await screen.findByTestId("review-item");
    expect(item).toHaveTextContent("Mia Member · Task completed: Write the spec +30 XP");
    expect(item).toHaveTextContent("Flagged by Pete Peer");
    expect(item).toHaveTextContent("“Same work twice”");
    fireEvent.click(within(item).getByRole("button", { name: "Adjust…" }));
    const dialog = await screen.findByTestId("resolve-dialog");
    expect(within(dialog).getByLabelText(/Adjust the award/)).toBeChecked();
    fireEvent.change(within(dialog).getByLabelText("New value (XP)"), { target: { value: "0" } });
    fireEvent.change(within(dialog).getByLabelText("Note"), { target: { value: "Duplicate of LAU-2" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Correct and resolve" }));
    await waitFor(() => expect(screen.queryByTestId("resolve-dialog")).toBeNull());
    expect(calls.find((c) => c.method === "POST")).toMatchObject({ path: "/api/v1/xp-flags/3/resolve", body: { action: "adjust", xp: 0, note: "Duplicate of LAU-2" } });
  });

  it("dismisses without a value", async () => {
    const calls = serve("admin", {
      "GET /api/v1/workspaces/{id}/xp-flags": () => [200, { items: [queued], next_cursor: null }],
      "POST /api/v1/xp-flags/{id}/resolve": () => [200, { flag: { ...queued, status: "dismissed" }, correction: null }],
    });
    renderWithProviders(<ReviewQueue ws="w1" />);
    fireEvent.click(within(await screen.findByTestId("review-item")).getByRole("button", { name: "Dismiss" }));
    const dialog = await screen.findByTestId("resolve-dialog");
    expect(within(dialog).queryByLabelText("New value (XP)")).toBeNull();
    fireEvent.change(within(dialog).getByLabelText("Note"), { target: { value: "It is right" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Dismiss flag" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ action: "dismiss", note: "It is right" });
  });
});

const anomalies: Anomalies = {
  workspace_id: "w1", days: 30, start: at, end: at,
  thresholds: { min_completions: 5, min_members: 4, outlier_z: 3.5, outlier_ratio: 1.5, pair_min_each_way: 10, inflation_days: 14, inflation_min_tasks: 5, inflation_ratio: 1.5, inflation_min_points: 1, instant_seconds: 30, near_instant_seconds: 120, near_instant_min: 3, near_instant_share: 0.25, evidence_limit: 50 },
  findings: [
    { kind: "xp_per_point_outlier", summary: "Earns 40.0 XP per completed point", user: { id: "u-f", name: "Farmer" }, direction: "high", completions: 5, points: 5, board_xp: 200, xp_per_point: 40, median_xp_per_point: 10.7, robust_z: 29.7, evidence: [{ ledger_id: 11, event_id: 110, task_id: "t9", task_title: "Tiny task", estimate: 1, xp: 40, board_xp: 40, occurred_at: at }] },
    { kind: "reciprocal_pair", summary: "12 one way and 12 the other", users: [{ id: "u-f", name: "Farmer" }, { id: "u-i", name: "Inflater" }], a_to_b: 12, b_to_a: 12, evidence: [{ event_id: 501, type: "reaction.added", from_user_id: "u-f", to_user_id: "u-i", created_at: at }] },
  ],
};

describe("Anomalies panel", () => {
  it("shows each finding with its people, summary and evidence rows", async () => {
    serve("admin", { "GET /api/v1/workspaces/{id}/analytics/anomalies": () => [200, anomalies] });
    renderWithProviders(<AnomaliesPanel ws="w1" />);
    const findings = await screen.findAllByTestId("finding");
    expect(findings.map((f) => f.dataset.kind)).toEqual(["xp_per_point_outlier", "reciprocal_pair"]);
    expect(findings[0]).toHaveTextContent("XP per completed point out of line");
    expect(within(findings[0]).getByRole("link", { name: "Farmer" })).toHaveAttribute("href", "/w/w1/members/u-f");
    const evidence = within(findings[0]).getByTestId("evidence");
    expect(evidence).toHaveTextContent("#11");
    expect(evidence).toHaveTextContent("Tiny task");
    expect(within(findings[1]).getByTestId("evidence")).toHaveTextContent("#501ReactionFarmerInflater");
    expect(screen.getByTestId("anomalies")).toHaveTextContent("pairs with at least 10 reactions and mentions each way");
  });

  it("says so when there is nothing unusual, and who may look", async () => {
    serve("admin", { "GET /api/v1/workspaces/{id}/analytics/anomalies": () => [200, { ...anomalies, findings: [] }] });
    renderWithProviders(<AnomaliesPanel ws="w1" />);
    expect(await screen.findByText("Nothing unusual in the last 30 days.")).toBeInTheDocument();
  });
});

describe("Live review notifications", () => {
  it("refetch the XP histories and review queues and say what happened", () => {
    const qc = new QueryClient();
    qc.setQueryData(["xp-history", "u-me"], []);
    qc.setQueryData(["xp-flags", "w1", "open"], { items: [] });
    const ev = { kind: "xp_adjusted", data: { user_id: "u-me", previous_xp: 30, xp: 10, reason: "Padded" } } as unknown as RealtimeEvent;
    expect(onReviewNotification(qc, ev, "u-me")).toBe(true);
    expect(qc.getQueryState(["xp-history", "u-me"])?.isInvalidated).toBe(true);
    expect(qc.getQueryState(["xp-flags", "w1", "open"])?.isInvalidated).toBe(true);
    expect(onReviewNotification(qc, { kind: "mention", data: {} } as unknown as RealtimeEvent)).toBe(false);
    expect(reviewText("xp_flag_resolved", { status: "dismissed", award_user_id: "u-other" }, "u-me")).toBe("dismissed the flag on the award you flagged");
    expect(reviewText("xp_flag_resolved", { status: "adjusted", award_user_id: "u-me" }, "u-me")).toBe("adjusted the flag on your award");
  });
});
