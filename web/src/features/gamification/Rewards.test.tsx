import { QueryClient } from "@tanstack/react-query";
import { act, render, screen, waitFor } from "@testing-library/react";
import { Toaster } from "sonner";
import { describe, expect, it } from "vitest";
import type { Progress } from "../../api/client";
import { qk } from "../../api/queries";
import { makeExplanation, makeTask, stubFetch } from "../../test/utils";
import { announceCompletion, celebration, gamificationOn, onLevelUp, onXpAwarded, REWARDS_TOASTER } from "./rewards";

const progress: Progress = { user_id: "u1", xp: 90, level: 1, xp_into_level: 90, xp_to_next: 10, streak: { current: 1, longest: 1, freezes: 0, last_active_date: null }, freezes: 0 };

describe("completion rewards", () => {
  it("shows the server's preview at once, moves the bar, then shows the worker's award and explanation", async () => {
    stubFetch({});
    gamificationOn.current = true;
    const qc = new QueryClient();
    qc.setQueryData(qk.progress, progress);
    qc.setQueryData(qk.me, { id: "u1" });
    render(<Toaster id={REWARDS_TOASTER} />);
    const task = makeTask({ title: "Ship the release", priority: "high", created_at: "2020-01-01T00:00:00Z" });
    // What GET /tasks/{id}/xp-preview (the scoring kernel) answered while the drawer was open.
    qc.setQueryData(qk.xpPreview(task.id, task.version), { task_id: task.id, awards: [{ user_id: "u1", role: "actor", xp: 45, board_xp: 45, explanation: makeExplanation({ xp: 45 }) }] });
    act(() => announceCompletion(qc, task));
    const toast = await screen.findByTestId("xp-toast");
    expect(toast).toHaveClass("is-estimate");
    expect(screen.getByTestId("xp-toast-amount")).toHaveTextContent("+45 XP");
    expect(qc.getQueryData<Progress>(qk.progress)!.xp_into_level).toBe(100); // capped at the level's span
    act(() =>
      onXpAwarded(qc, {
        event_id: 7,
        event_type: "task.completed",
        workspace_id: "w1",
        task_id: task.id,
        xp: 47,
        xp_total: 137,
        explanation: makeExplanation({ xp: 47, multipliers: [{ name: "priority", value: 1.5, note: "high" }], bonuses: [{ name: "first_action_of_day", xp: 2, note: "" }], formula: "30 x 1.5 + 2 = 47 -> 47" }),
      }),
    );
    await waitFor(() => expect(screen.getByTestId("xp-toast")).toHaveClass("is-final"));
    expect(screen.getByTestId("xp-toast-amount")).toHaveTextContent("+47 XP");
    expect(screen.getByTestId("xp-toast-sentence")).toHaveTextContent("High-priority task done, first work today");
    act(() => screen.getByTestId("xp-toast-why").click());
    expect(screen.getByTestId("reward-breakdown")).toHaveTextContent("High priority×1.5");
    expect(screen.getByTestId("reward-breakdown")).toHaveTextContent("First work today+2 XP");
    expect(screen.getAllByTestId("xp-toast")).toHaveLength(1); // the estimate became the award, in place
    // The worker's total wins, and the bar refetches the exact level split.
    expect(qc.getQueryData<Progress>(qk.progress)!.xp).toBe(137);
    expect(qc.getQueryState(qk.progress)!.isInvalidated).toBe(true);
  });

  it("shows the award in full when the worker's award arrives before the completion's response", async () => {
    stubFetch({});
    gamificationOn.current = true;
    const qc = new QueryClient();
    qc.setQueryData(qk.progress, progress);
    qc.setQueryData(qk.me, { id: "u1" });
    render(<Toaster id={REWARDS_TOASTER} />);
    const task = makeTask({ title: "Beat the response", created_at: "2020-01-01T00:00:00Z" });
    qc.setQueryData(qk.xpPreview(task.id, task.version), { task_id: task.id, awards: [{ user_id: "u1", role: "assignee", xp: 30, board_xp: 30, explanation: makeExplanation({ xp: 30 }) }] });
    act(() =>
      onXpAwarded(qc, {
        event_id: 8,
        event_type: "task.completed",
        workspace_id: "w1",
        task_id: task.id,
        xp: 31,
        xp_total: 121,
        explanation: makeExplanation({ xp: 31, role: "assignee", formula: "30 + 1 = 31 -> 31" }),
      }),
    );
    act(() => announceCompletion(qc, task));
    // (Earlier tests' toasts may still be on screen: sonner's store is global.)
    const mine = () => screen.getAllByTestId("xp-toast").filter((t) => t.textContent?.includes("+31 XP"));
    await waitFor(() => expect(mine()[0]).toHaveClass("is-final"));
    expect(mine()).toHaveLength(1); // the early nudge was replaced, not stacked
    expect(mine()[0]).toHaveTextContent("Beat the response");
    expect(qc.getQueryData<Progress>(qk.progress)!.xp).toBe(121); // the estimate was never added on top
  });

  it("celebrates a level up without blocking the page, and stays quiet when the workspace has gamification off", async () => {
    const qc = new QueryClient();
    render(<Toaster id={REWARDS_TOASTER} />);
    gamificationOn.current = false;
    act(() => onLevelUp(qc, { level: 3, previous: 2 }));
    expect(screen.queryByTestId("level-up")).toBeNull();
    gamificationOn.current = true;
    act(() => onLevelUp(qc, { level: 4, previous: 3 }));
    const card = await screen.findByTestId("level-up");
    expect(card).toHaveTextContent("You reached level 4!");
    expect(screen.queryByRole("alertdialog")).toBeNull(); // not a modal
    act(() => card.querySelector<HTMLButtonElement>("button[aria-label=Dismiss]")!.click());
    await waitFor(() => expect(screen.queryByTestId("level-up")).toBeNull());
    expect(celebration.get()).toBeNull();
  });

  it("keeps one reward toast: complete, reopen, complete again never stacks an estimate beside an award", async () => {
    stubFetch({});
    gamificationOn.current = true;
    const qc = new QueryClient();
    qc.setQueryData(qk.progress, progress);
    qc.setQueryData(qk.me, { id: "u1" });
    render(<Toaster id={REWARDS_TOASTER} />);
    const task = makeTask({ title: "Round trip" });
    const award = (event_type: string, xp: number, base: string) => ({ event_id: 9, event_type, workspace_id: "w1", task_id: task.id, xp, xp_total: 100, explanation: makeExplanation({ xp, event_type, role: "assignee", base: { name: base, xp } }) });
    act(() => announceCompletion(qc, task));
    act(() => onXpAwarded(qc, award("task.completed", 40, "task_completed")));
    act(() => onXpAwarded(qc, award("task.reopened", -40, "reversed_completion")));
    act(() => announceCompletion(qc, task));
    await waitFor(() => expect(screen.getAllByTestId("xp-toast")).toHaveLength(1));
    expect(screen.getByTestId("xp-toast")).toHaveClass("is-estimate");
    act(() => onXpAwarded(qc, award("task.completed", 40, "restored_completion")));
    await waitFor(() => expect(screen.getByTestId("xp-toast")).toHaveClass("is-final"));
    expect(screen.getAllByTestId("xp-toast")).toHaveLength(1);
    expect(screen.getByTestId("xp-toast-sentence")).toHaveTextContent("Task completed again: its XP is back");
  });
});
