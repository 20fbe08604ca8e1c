import type { QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import type { JSX } from "react";
import type { Explanation, Progress, Task, User, XpPreview } from "../../api/client";
import { qk } from "../../api/queries";
import { createStore } from "../../lib/store";
import { LevelUpToast } from "./LevelUp";
import { XpToast, AchievementToast } from "./XpToast";

export interface XpAwarded {
  event_id: number;
  event_type: string;
  workspace_id: string | null;
  task_id: string | null;
  xp: number;
  board_xp?: number;
  xp_total: number;
  explanation: Explanation;
}

/** The toaster rewards go to (`RewardsLayer` mounts it beside the task drawer, never over its editor), and the
 * one toast id every XP award shares: a new award updates the toast in place, so there is never more than one
 * reward toast, and a completion's estimate is always replaced by its confirmed award, never shown beside it. */
export const REWARDS_TOASTER = "rewards";
const REWARD_TOAST = "reward";
const LEVEL_TOAST = "level-up";

/** Completions waiting for the worker's award: task id -> what the toast shows meanwhile. */
const pending = new Map<string, { estimate: number; title: string; at: number }>();

/** Completion awards that arrived with no completion of mine pending: task id -> award. The worker can
 * score a completion before the browser has processed the response to its own POST; `announceCompletion`
 * then finds the award here instead of waiting for one that already came. */
const early = new Map<string, { award: XpAwarded; at: number }>();
const EARLY_KEEP_MS = 10_000; // the response of my own POST is never that far behind its award

/** When the reward toast last showed a completion: a small nudge (a reaction received) arriving just after
 * must not wipe it before it could be read; the bar still moves. */
let completionShownAt = 0;
let completionTask: string | null = null; // the task whose completion the toast shows
const COMPLETION_READ_MS = 6000;

/** The level-up celebration on screen, if any. */
export const celebration = createStore<{ level: number; previous: number } | null>(null);

/** Gamification on/off in the workspace on screen (set by the layout). */
export const gamificationOn = { current: true };

function bumpProgress(qc: QueryClient, xp: number) {
  qc.setQueryData<Progress>(qk.progress, (p) => {
    if (!p) return p;
    const into = p.xp_into_level + xp;
    const span = p.xp_into_level + p.xp_to_next;
    return { ...p, xp: p.xp + xp, xp_into_level: Math.min(into, span), xp_to_next: Math.max(0, span - into) };
  });
}

/** What the server's scoring kernel said completing this task would earn me (GET …/xp-preview, fetched while
 * the task was open), or null when it wasn't asked (a drag onto the board's done column). The web app has no
 * formula of its own: the real award replaces this when `xp.awarded` arrives. */
function previewed(qc: QueryClient, taskId: string): XpPreview["awards"][number] | null {
  const me = qc.getQueryData<User>(qk.me);
  const previews = qc.getQueriesData<XpPreview>({ queryKey: qk.xpPreview(taskId) }).filter(([, data]) => data);
  return previews.at(-1)?.[1]?.awards.find((a) => a.user_id === me?.id) ?? null;
}

function showReward(content: (dismiss: () => void) => JSX.Element, duration: number) {
  const dismiss = () => toast.dismiss(REWARD_TOAST);
  toast.custom(() => content(dismiss), { id: REWARD_TOAST, toasterId: REWARDS_TOASTER, duration });
}

function showCompletion(taskId: string, xp: number, title: string, explanation: Explanation) {
  completionShownAt = Date.now();
  completionTask = taskId;
  showReward((dismiss) => <XpToast xp={xp} title={title} explanation={explanation} onDismiss={dismiss} />, 10_000);
}

/** Called right after a completion succeeds: "+N XP" from the server's preview at once, then the award. */
export function announceCompletion(qc: QueryClient, task: Task) {
  if (!gamificationOn.current) return;
  const preview = previewed(qc, task.id);
  qc.removeQueries({ queryKey: qk.xpPreview(task.id) });
  const arrived = early.get(task.id);
  early.delete(task.id);
  if (arrived && Date.now() - arrived.at < EARLY_KEEP_MS) {
    showCompletion(task.id, arrived.award.xp, task.title, arrived.award.explanation);
    return;
  }
  pending.set(task.id, { estimate: preview?.xp ?? 0, title: task.title, at: Date.now() });
  if (preview?.xp) bumpProgress(qc, preview.xp);
  completionShownAt = Date.now();
  completionTask = task.id;
  showReward((dismiss) => <XpToast xp={preview?.xp ?? null} estimate title={task.title} explanation={preview?.explanation} onDismiss={dismiss} />, 15_000);
}

export function onXpAwarded(qc: QueryClient, d: XpAwarded) {
  const p = d.task_id ? pending.get(d.task_id) : undefined;
  if (p && d.event_type === "task.completed") {
    pending.delete(d.task_id!);
    showCompletion(d.task_id!, d.xp, p.title, d.explanation);
    return settle(qc, d);
  }
  const earlyCompletion = d.task_id && d.event_type === "task.completed";
  if (earlyCompletion) {
    for (const [id, e] of early) if (Date.now() - e.at >= EARLY_KEEP_MS) early.delete(id);
    early.set(d.task_id!, { award: d, at: Date.now() });
  }
  const worthANudge = d.xp !== 0 && (d.explanation?.role !== "actor" || ["comment.created", "invite.accepted", "task.reopened", "xp.adjusted"].includes(d.event_type));
  // Small wins worth a nudge; routine ones (creating, moving, logging in) only move the bar. A nudge never
  // replaces a completion still being read, nor a completion of mine still waiting for its award; news about
  // the task on screen (its reopen taking the award back) does replace it.
  const sameTask = d.task_id !== null && d.task_id === completionTask;
  const busy = !sameTask && (pending.size > 0 || Date.now() - completionShownAt < COMPLETION_READ_MS);
  if (gamificationOn.current && (earlyCompletion || (worthANudge && !busy))) {
    if (earlyCompletion) completionShownAt = Date.now();
    showReward((dismiss) => <XpToast xp={d.xp} explanation={d.explanation} onDismiss={dismiss} />, 6000);
  }
  settle(qc, d);
}

function settle(qc: QueryClient, d: XpAwarded) {
  qc.setQueryData<Progress>(qk.progress, (old) => (old ? { ...old, xp: d.xp_total } : old));
  void qc.invalidateQueries({ queryKey: qk.progress });
  void qc.invalidateQueries({ queryKey: ["xp-history"] });
}

/** A level up is celebrated in the rewards corner, not over the page: work goes on while it shows. */
export function onLevelUp(qc: QueryClient, d: { level: number; previous: number }) {
  void qc.invalidateQueries({ queryKey: qk.progress });
  if (!gamificationOn.current) return;
  celebration.set({ level: d.level, previous: d.previous });
  const dismiss = () => {
    toast.dismiss(LEVEL_TOAST);
    celebration.set(null);
  };
  toast.custom(() => <LevelUpToast level={d.level} onDismiss={dismiss} />, { id: LEVEL_TOAST, toasterId: REWARDS_TOASTER, duration: 8000, onAutoClose: () => celebration.set(null), onDismiss: () => celebration.set(null) });
}

export function onAchievementUnlocked(qc: QueryClient, d: { key: string; name: string; description: string; tier: string | null }, userId: string) {
  void qc.invalidateQueries({ queryKey: qk.achievements(userId) });
  if (gamificationOn.current) toast.custom(() => <AchievementToast name={d.name} description={d.description} tier={d.tier} />, { id: `achievement-${d.key}`, toasterId: REWARDS_TOASTER, duration: 8000 });
}
