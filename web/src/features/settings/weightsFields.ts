import type { ScoringWeights } from "../../api/client";

/* The weights form's copy: each field in plain words (what it does, a sensible range) and in which section.
 * The hard bounds are the server's (a draft out of them comes back as a 422 naming each field); the ranges
 * here are advice. */

export type WeightKey = Exclude<keyof ScoringWeights, "version" | "priority">;
export type PriorityKey = "none" | "low" | "medium" | "high" | "urgent";

export interface FieldInfo {
  id: string; // the API's field name: "task_completed", "priority.urgent"
  label: string;
  help: string;
  whole: boolean; // a whole number of XP (else a factor)
}

const xp = (id: WeightKey, label: string, help: string): FieldInfo => ({ id, label, help, whole: true });
const factor = (id: string, label: string, help: string): FieldInfo => ({ id, label, help, whole: false });

export const PRIORITY_FIELDS: FieldInfo[] = [
  factor("priority.none", "No priority", "Usually 1: no boost."),
  factor("priority.low", "Low", "Typical 1–1.2."),
  factor("priority.medium", "Medium", "Typical 1.1–1.5."),
  factor("priority.high", "High", "Typical 1.3–2."),
  factor("priority.urgent", "Urgent", "Typical 1.5–3."),
];

export interface Section {
  id: string;
  title: string;
  intro: string;
  fields: FieldInfo[];
  priorities?: boolean; // the section holds the priority multipliers too
}

export const SECTIONS: Section[] = [
  {
    id: "finishing",
    title: "Finishing work",
    intro: "What completing a task earns on this board, and what makes a completion worth more.",
    priorities: true,
    fields: [
      xp("task_completed", "Completing a task", "XP for finishing a task, before the boosts below. Most teams use 20–50."),
      xp("task_closed_for_others", "Closing a teammate's task", "XP for closing a task assigned to someone else (they get the completion XP). Keep it small: 0–10."),
      factor("estimate_step", "Boost per estimate point", "Bigger tasks earn more: × (1 + this × √points). 0 turns it off; 0.1–0.5 is typical (0.25 gives a 4-point task ×1.5)."),
      factor("estimate_cap", "Largest estimate boost", "The most an estimate can multiply a completion by, so huge estimates stop paying. 1.5–3 is typical."),
      factor("on_time_multiplier", "On-time boost", "For finishing on or before the due date. 1 turns it off; 1.1–1.5 is typical."),
    ],
  },
  {
    id: "tasks",
    title: "Everyday task work",
    intro: "Small rewards for keeping the board up to date. Daily limits apply whatever you set.",
    fields: [
      xp("task_created", "Creating a task", "XP for adding a task. 2–10 is typical."),
      xp("task_updated", "Editing a task", "XP for changing a task's title, description or fields. 0–3: edits are cheap to make."),
      xp("task_moved", "Moving a task", "XP for moving a task on the board. 0–5 is typical."),
    ],
  },
  {
    id: "together",
    title: "Working together",
    intro: "Talking, mentioning and reacting. Each earns once per person and thing, and less when two people trade them.",
    fields: [
      xp("comment_created", "Writing a comment", "XP per comment. 3–15 is typical."),
      xp("mention_given", "Mentioning a teammate", "XP for @mentioning someone else. 0–5 is typical."),
      xp("mention_received", "Being mentioned", "XP when a teammate @mentions you. 0–10 is typical."),
      xp("reaction_given", "Reacting to work", "XP for reacting to a teammate's task or comment. 0–3 is typical."),
      xp("reaction_received", "Receiving a reaction", "XP when a teammate reacts to your task or comment. 0–5 is typical."),
      xp("invite_accepted", "Joining the workspace", "XP for accepting an invitation to this workspace. 10–50 is typical."),
    ],
  },
  {
    id: "rhythm",
    title: "Daily rhythm",
    intro: "Rewards for showing up day after day.",
    fields: [
      xp("first_action_bonus", "First work of the day", "A flat bonus for the day's first piece of work. 0–25 is typical."),
      factor("streak_step", "Streak boost per day", "Extra multiplier for each day of a streak: 0.025 gives ×1.25 after 11 days. 0–0.1 is typical."),
      factor("streak_cap", "Largest streak boost", "The most a streak can multiply XP by. 1 turns streak boosts off; 1.1–1.5 is typical."),
    ],
  },
];

export const ALL_FIELDS: FieldInfo[] = [...SECTIONS.flatMap((s) => s.fields), ...PRIORITY_FIELDS];

/** A draft field's value: the weights are flat but for `priority.*`. */
export function valueOf(w: Partial<ScoringWeights>, id: string): number | undefined {
  if (id.startsWith("priority.")) return w.priority?.[id.slice(9) as PriorityKey];
  return w[id as WeightKey] as number | undefined;
}

export function withValue(w: Partial<ScoringWeights>, id: string, v: number | undefined): Partial<ScoringWeights> {
  if (id.startsWith("priority.")) return { ...w, priority: { ...(w.priority ?? {}), [id.slice(9)]: v } as ScoringWeights["priority"] };
  return { ...w, [id]: v };
}

export type FieldErrors = Record<string, string>;

/** What the browser can tell before asking the server: a field left empty, or a fraction where XP is whole. */
export function localErrors(w: Partial<ScoringWeights>): FieldErrors {
  const out: FieldErrors = {};
  for (const f of ALL_FIELDS) {
    const v = valueOf(w, f.id);
    if (v === undefined || Number.isNaN(v)) out[f.id] = "Enter a number";
    else if (f.whole && !Number.isInteger(v)) out[f.id] = "Use a whole number of XP";
  }
  return out;
}

/** The server's validation message in plain words (it says the bound; this says it as advice). */
export function plainMessage(message: string, type?: string): string {
  const ge = /greater than or equal to (-?[\d.]+)/.exec(message);
  if (ge) return `Use ${ge[1]} or more`;
  const le = /less than or equal to (-?[\d.]+)/.exec(message);
  if (le) return `Use ${le[1]} or less`;
  if (type === "int_type" || /valid integer/.test(message)) return "Use a whole number of XP";
  if (type === "float_type" || /valid number/.test(message)) return "Enter a number";
  if (/must not decrease from none to urgent/.test(message)) return "Each priority must be worth at least as much as the one below it";
  if (type === "extra_forbidden") return "This is not a setting here";
  const v = message.replace(/^Value error, /, "");
  return v.charAt(0).toUpperCase() + v.slice(1);
}

/** A 422's `error.fields` as one message per form field (the first for each). */
export function serverErrors(body: unknown): FieldErrors {
  const fields = ((body as { error?: { fields?: { field: string; message: string; type?: string }[] } })?.error?.fields ?? []);
  const out: FieldErrors = {};
  for (const f of fields) if (!out[f.field]) out[f.field] = plainMessage(f.message, f.type);
  return out;
}
