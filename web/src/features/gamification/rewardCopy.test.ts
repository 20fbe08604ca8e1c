import { describe, expect, it } from "vitest";
import { makeExplanation } from "../../test/utils";
import { earliness, fmtNumber, fmtXp, plural, rewardBreakdown, rewardSentence } from "./rewardCopy";

// The explanation the kernel stores for "30 x 2 x 1.55902 x 1.2 + 15": an urgent 5-point task done a week early.
const urgent = makeExplanation({
  xp: 127,
  role: "assignee",
  base: { name: "task_completed", xp: 30 },
  multipliers: [
    { name: "priority", value: 2, note: "urgent" },
    { name: "estimate", value: 1.5590169943749475, note: "5 points", amount: 5 },
    { name: "on_time", value: 1.2, note: "done 2026-12-02, due 2026-12-09", amount: 7 },
    { name: "streak", value: 1, note: "1-day streak", amount: 1 },
  ],
  bonuses: [{ name: "first_action_of_day", xp: 15, note: "first work on 2026-12-02" }],
  formula: "30 x 2 x 1.55902 x 1.2 x 1 + 15 = 127.249 -> 127",
});

describe("reward sentence", () => {
  it("says what happened from the explanation's factors", () => {
    expect(rewardSentence(urgent)).toBe("Urgent 5-point task done a week early, first work today");
    expect(rewardSentence(makeExplanation({ multipliers: [{ name: "priority", value: 1, note: "none" }] }))).toBe("Task done");
    const low = makeExplanation({ multipliers: [{ name: "priority", value: 1.1, note: "low" }, { name: "estimate", value: 1.25, note: "1 points", amount: 1 }, { name: "on_time", value: 1.2, note: "", amount: 0 }] });
    expect(rewardSentence(low)).toBe("Low-priority 1-point task done on its due date");
  });

  it("names sharing, streaks and the limit that bit", () => {
    const e = makeExplanation({ multipliers: [{ name: "shared", value: 0.5, note: "shared by 2 assignees", amount: 2 }, { name: "streak", value: 1.1, note: "5-day streak", amount: 5 }, { name: "repetition", value: 0.85, note: "#6 task.completed within the hour", amount: 6 }] });
    expect(rewardSentence(e)).toBe("Task done, shared with 1 teammate, on a 5-day streak, less for the 6th time within the hour");
    expect(rewardSentence(makeExplanation({ event_type: "comment.created", base: { name: "comment_created", xp: 8 }, multipliers: [{ name: "daily_cap", value: 0, note: "10 a day" }], xp: 0 }))).toBe("Wrote a comment, past today's limit for this");
  });

  it("says why an award is zero, in words", () => {
    expect(rewardSentence(makeExplanation({ xp: 0, multipliers: [{ name: "instant_completion", value: 0, note: "" }] }))).toBe("Completed seconds after it was created, so it earns nothing");
    expect(rewardSentence(makeExplanation({ xp: 0, base: { name: "none", xp: 0 }, reasons: ["task already completed: its completion XP was already awarded"] }))).toBe("Task already completed: its completion XP was already awarded");
  });

  it("reads older awards without amounts from their notes", () => {
    const old = makeExplanation({ multipliers: [{ name: "priority", value: 1.5, note: "high" }, { name: "estimate", value: 1.5, note: "4 points" }] });
    expect(rewardSentence(old)).toBe("High-priority 4-point task done");
  });

  it("says reversals, restorations and social awards plainly", () => {
    expect(rewardSentence(makeExplanation({ xp: -54, base: { name: "reversed_completion", xp: -54 } }))).toBe("Task reopened: its XP is taken back");
    expect(rewardSentence(makeExplanation({ xp: 4, base: { name: "mention_received", xp: 4 }, role: "receiver" }))).toBe("A teammate mentioned you");
  });
});

describe("reward breakdown", () => {
  it("names each factor, rounds sensibly and leaves out the ones that changed nothing", () => {
    expect(rewardBreakdown(urgent)).toEqual([
      { label: "Completing a task", value: "30 XP" },
      { label: "Urgent priority", value: "×2" },
      { label: "Estimate: 5 points", value: "×1.56" },
      { label: "Done a week early", value: "×1.2" },
      { label: "First work today", value: "+15 XP" },
      { label: "Total", value: "127 XP" },
    ]);
  });
});

describe("numbers and plurals", () => {
  it("rounds to two decimals, signs XP with a real minus and gets plurals right", () => {
    expect(fmtNumber(1.35355)).toBe("1.35");
    expect(fmtNumber(53.6007)).toBe("53.6");
    expect(fmtXp(54)).toBe("+54 XP");
    expect(fmtXp(-54)).toBe("−54 XP");
    expect(plural(1, "point")).toBe("1 point");
    expect(plural(3, "point")).toBe("3 points");
    expect(plural(1, "person", "people")).toBe("1 person");
    expect(earliness(1)).toBe("a day early");
    expect(earliness(14)).toBe("2 weeks early");
    expect(earliness(10)).toBe("10 days early");
  });
});
