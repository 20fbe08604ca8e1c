import type { Explanation } from "../../api/client";
import { plural } from "../../lib/plural";

/* An award said in words, from the scoring kernel's explanation (its base, factors and bonuses, each with the
 * amount behind it): a one-sentence headline for the toast, and a readable breakdown one click away. Nothing
 * here prices anything; it only reads what the kernel decided. */

type Factor = Explanation["multipliers"][number];

export { plural }; // one plural rule for the whole app (lib/plural.ts)

/** 1.35355 -> "1.35", 1.1 -> "1.1", 2 -> "2": two decimals at most, no trailing zeros. */
export function fmtNumber(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** "+54 XP", "−54 XP" (a real minus sign), "0 XP". */
export function fmtXp(xp: number): string {
  if (xp > 0) return `+${xp} XP`;
  if (xp < 0) return `−${Math.abs(xp)} XP`;
  return "0 XP";
}

function ordinal(n: number): string {
  const s = ["th", "st", "nd", "rd"];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] ?? s[v] ?? s[0]}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** 0 -> "on its due date", 1 -> "a day early", 7 -> "a week early", 14 -> "2 weeks early", 10 -> "10 days early". */
export function earliness(days: number): string {
  if (days <= 0) return "on its due date";
  if (days === 1) return "a day early";
  if (days === 7) return "a week early";
  if (days % 7 === 0) return `${days / 7} weeks early`;
  return `${days} days early`;
}

const PRIORITY_WORD: Record<string, string> = { low: "Low-priority", medium: "Medium-priority", high: "High-priority", urgent: "Urgent" };

const ACTION: Record<string, string> = {
  task_closed_for_others: "Closed a teammate's task (its XP goes to the assignees)",
  restored_completion: "Task completed again: its XP is back",
  reversed_completion: "Task reopened: its XP is taken back",
  task_created: "Created a task",
  task_updated: "Edited a task",
  task_moved: "Moved a task",
  comment_created: "Wrote a comment",
  mention_given: "Mentioned a teammate",
  mention_received: "A teammate mentioned you",
  reaction_given: "Reacted to a teammate's work",
  reaction_received: "A teammate reacted to your work",
  daily_login: "First visit today",
  invite_accepted: "Joined the workspace",
  correction: "An admin corrected an award",
};

/** What the base of an award was for, as a breakdown line. */
const BASE_LINE: Record<string, string> = {
  task_completed: "Completing a task",
  task_closed_for_others: "Closing a teammate's task",
  restored_completion: "The task's first completion",
  reversed_completion: "The task's completion, taken back",
  task_created: "Creating a task",
  task_updated: "Editing a task",
  task_moved: "Moving a task",
  comment_created: "Writing a comment",
  mention_given: "Mentioning a teammate",
  mention_received: "Being mentioned",
  reaction_given: "Reacting",
  reaction_received: "Receiving a reaction",
  daily_login: "First visit of the day",
  invite_accepted: "Joining the workspace",
  correction: "Admin's correction",
};

function factor(e: Explanation, name: string): Factor | undefined {
  return e.multipliers?.find((m) => m.name === name);
}

/** The amount behind a factor; older awards (before `amount` existed) read it from the note. */
function amountOf(f: Factor | undefined): number | undefined {
  if (!f) return undefined;
  if (typeof f.amount === "number") return f.amount;
  const n = parseFloat(f.note);
  return Number.isFinite(n) ? n : undefined;
}

function humanize(name: string): string {
  return capitalize(name.replace(/[._]/g, " "));
}

function completionSentence(e: Explanation): string {
  const p = factor(e, "priority")?.note ?? "none";
  const points = amountOf(factor(e, "estimate")) ?? 0;
  const size = points > 0 ? `${fmtNumber(points)}-point ` : "";
  const subject = PRIORITY_WORD[p] ? `${PRIORITY_WORD[p]} ${size}task` : capitalize(`${size}task`);
  const onTime = factor(e, "on_time");
  const days = amountOf(onTime);
  let s = `${subject} done${onTime ? ` ${days === undefined ? "on time" : earliness(days)}` : ""}`;
  const shared = amountOf(factor(e, "shared"));
  if (shared && shared > 1) s += `, shared with ${plural(shared - 1, "teammate")}`;
  return s;
}

/** Why this award is smaller than usual, in a few words (the strongest limit only). */
function limitClause(e: Explanation): string | null {
  if (factor(e, "daily_cap")) return "past today's limit for this";
  if (factor(e, "daily_budget")) return "cut to fit today's limit";
  const rep = amountOf(factor(e, "repetition"));
  if (rep) return `less for the ${ordinal(rep)} time within the hour`;
  const pair = amountOf(factor(e, "pair_repetition"));
  if (pair) return `less for the ${ordinal(pair)} time with this person today`;
  return null;
}

/** The toast's sentence: what happened, and what made it worth more (or less) than usual. */
export function rewardSentence(e: Explanation): string {
  const base = e.base?.name ?? "";
  if (factor(e, "instant_completion")) return "Completed seconds after it was created, so it earns nothing";
  if (factor(e, "once_per_thing")) return `${ACTION[base] ?? "Done"}, but it was already rewarded once`;
  if (base === "none" || (e.xp === 0 && !e.multipliers?.length && e.reasons?.length)) {
    const why = e.reasons?.at(-1);
    return why ? capitalize(why) : "Nothing to award";
  }
  let s = base === "task_completed" ? completionSentence(e) : (ACTION[base] ?? e.summary ?? humanize(e.event_type));
  if (base === "correction" && e.correction?.reason) s += `: ${e.correction.reason}`;
  const extras: string[] = [];
  const streak = amountOf(factor(e, "streak")) ?? 0;
  if (streak > 1) extras.push(`on a ${streak}-day streak`);
  if (e.bonuses?.some((b) => b.name === "first_action_of_day" && b.xp > 0)) extras.push("first work today");
  const limit = limitClause(e);
  if (limit) extras.push(limit);
  return extras.length ? `${s}, ${extras.join(", ")}` : s;
}

export interface BreakdownLine {
  label: string;
  value: string;
}

function factorLabel(f: Factor): string {
  const n = amountOf(f);
  switch (f.name) {
    case "priority":
      return f.note && f.note !== "none" ? `${capitalize(f.note)} priority` : "No priority";
    case "estimate":
      return `Estimate: ${plural(n ?? 0, "point")}`;
    case "on_time":
      return n === undefined ? "Done on time" : capitalize(`done ${earliness(n)}`);
    case "streak":
      return `${n ?? 1}-day streak`;
    case "shared":
      return `Shared by ${plural(n ?? 2, "person", "people")}`;
    case "repetition":
      return n ? `${ordinal(n)} time within the hour` : "Repeated within the hour";
    case "pair_repetition":
      return n ? `${ordinal(n)} time with this person today` : "Often with this person today";
    case "daily_budget":
      return "Today's limit";
    case "daily_cap":
      return "Past today's limit";
    case "instant_completion":
      return "Completed seconds after it was created";
    case "once_per_thing":
      return "Already rewarded once";
    default:
      return humanize(f.name);
  }
}

/** The award line by line: base, each factor that changed it (×1 ones are left out), bonuses, the total. */
export function rewardBreakdown(e: Explanation): BreakdownLine[] {
  const lines: BreakdownLine[] = [];
  if (e.base && e.base.name !== "none") lines.push({ label: BASE_LINE[e.base.name] ?? humanize(e.base.name), value: fmtXp(e.base.xp).replace(/^\+/, "") });
  for (const m of e.multipliers ?? []) {
    if (Math.abs(m.value - 1) < 0.005) continue;
    lines.push({ label: factorLabel(m), value: `×${fmtNumber(m.value)}` });
  }
  for (const b of e.bonuses ?? []) {
    if (!b.xp) continue;
    lines.push({ label: b.name === "first_action_of_day" ? "First work today" : humanize(b.name), value: `+${fmtNumber(b.xp)} XP` });
  }
  lines.push({ label: "Total", value: fmtXp(e.xp).replace(/^\+/, "") });
  return lines;
}
