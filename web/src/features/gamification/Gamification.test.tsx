import { fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import type { Achievement, Progress } from "../../api/client";
import { AchievementCard } from "./AchievementsPage";
import { dailyXp, StreakHeatmap } from "./ProfilePage";
import { makeExplanation, makeLedgerItem } from "../../test/utils";
import { levelPercent, XpBarView } from "./XpBar";
import { XpToast } from "./XpToast";

const progress: Progress = { user_id: "u1", xp: 260, level: 3, xp_into_level: 60, xp_to_next: 140, streak: { current: 4, longest: 9, freezes: 1, last_active_date: "2026-01-01" }, freezes: 1 };

describe("XP bar", () => {
  it("shows level, progress to the next level and the streak", () => {
    render(<MemoryRouter><XpBarView p={progress} href="/w/1/profile" /></MemoryRouter>);
    expect(screen.getByTestId("level")).toHaveTextContent("3");
    expect(screen.getByRole("progressbar", { name: "Progress to next level" })).toHaveAttribute("aria-valuenow", "30");
    expect(screen.getByTestId("xp-fill")).toHaveStyle({ width: "30%" });
    expect(screen.getByTestId("xp-text")).toHaveTextContent("60/200");
    expect(screen.getByTestId("xp-bar")).toHaveAccessibleName(/Level 3.*4-day streak/);
    expect(levelPercent({ xp_into_level: 0, xp_to_next: 0 })).toBe(100);
  });
});

describe("XP toast", () => {
  it("says what happened in a sentence, marks an estimate, and keeps the breakdown one click away", () => {
    const { rerender } = render(<XpToast xp={36} estimate title="Fix bug" />);
    expect(screen.getByTestId("xp-toast")).toHaveClass("is-estimate");
    expect(screen.getByTestId("xp-toast")).toHaveTextContent("confirming…");
    rerender(
      <XpToast
        xp={45}
        title="Fix bug"
        explanation={makeExplanation({ xp: 45, multipliers: [{ name: "priority", value: 1.5, note: "high" }, { name: "streak", value: 1.05, note: "3-day streak", amount: 3 }], formula: "30 x 1.5 = 45 -> 45" })}
      />,
    );
    const t = screen.getByTestId("xp-toast");
    expect(t).toHaveClass("is-final");
    expect(screen.getByTestId("xp-toast-amount")).toHaveTextContent("+45 XP");
    expect(screen.getByTestId("xp-toast-sentence")).toHaveTextContent("High-priority task done, on a 3-day streak");
    expect(t).not.toHaveTextContent("->"); // no debug arithmetic
    expect(screen.queryByTestId("reward-breakdown")).toBeNull();
    expect(screen.getByTestId("xp-toast-why")).toHaveTextContent("Why this much?");
    fireEvent.click(screen.getByTestId("xp-toast-why"));
    expect(screen.getByTestId("reward-breakdown")).toHaveTextContent("High priority×1.5");
    expect(screen.getByTestId("reward-breakdown")).toHaveTextContent("3-day streak×1.05");
    expect(screen.getByTestId("xp-toast-why")).toHaveAttribute("aria-expanded", "true");
  });

  it("carries no formula of its own: without the server's preview it shows no number until the award", () => {
    render(<XpToast xp={null} estimate title="Fix bug" />);
    expect(screen.getByTestId("xp-toast-amount")).toHaveTextContent(/^XP$/);
  });

  it("says when this workspace's board counts an award differently from the profile", () => {
    render(<XpToast xp={5} explanation={makeExplanation({ xp: 5, board_xp: 1000 })} />);
    fireEvent.click(screen.getByTestId("xp-toast-why"));
    expect(screen.getByTestId("xp-toast")).toHaveTextContent("board counts it as 1,000 XP");
  });
});

describe("Achievements", () => {
  const base: Achievement = { key: "closer", name: "Closer", description: "Complete 50 tasks", tier: "gold", hidden: false, unlocked: false, unlocked_at: null, current: 20, target: 50 };
  it("shows progress when locked, the date when unlocked, and keeps hidden ones a mystery", () => {
    const { rerender } = render(<AchievementCard a={base} />);
    expect(screen.getByRole("progressbar", { name: "Closer progress" })).toHaveAttribute("aria-valuenow", "20");
    expect(screen.getByText("20/50")).toBeInTheDocument();
    rerender(<AchievementCard a={{ ...base, unlocked: true, unlocked_at: "2026-03-01T00:00:00Z" }} />);
    expect(screen.getByText(/Unlocked/)).toBeInTheDocument();
    rerender(<AchievementCard a={{ ...base, hidden: true, name: "Night Owl", description: "Secret" }} />);
    expect(screen.getByText("Hidden achievement")).toBeInTheDocument();
    expect(screen.queryByText("Night Owl")).toBeNull();
    expect(screen.queryByText("Secret")).toBeNull();
  });
});

/** The review fields of an award nobody corrected or flagged. */

describe("Streak calendar", () => {
  it("sums XP per local day, marks freeze days, and draws today's cell", () => {
    const now = new Date();
    const items = [
      makeLedgerItem({ id: 1, xp: 40, occurred_at: now.toISOString(), explanation: makeExplanation({ streak: { days: 3, outcome: "frozen", freezes_used: 1, freeze_earned: false, freezes_held: 0 } }) }),
      makeLedgerItem({ id: 2, event_id: 2, event_type: "comment.created", xp: 8, occurred_at: now.toISOString() }),
    ];
    const { xp, freezes } = dailyXp(items);
    const key = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    expect(xp.get(key(now))).toBe(48);
    expect(freezes.has(key(new Date(now.getTime() - 86_400_000)))).toBe(true);
    render(<StreakHeatmap items={items} weeks={4} />);
    expect(screen.getByTitle(`${key(now)}: 48 XP`)).toHaveClass("l2");
  });
});
