import type { QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import type { Explanation, Progress, Task, User, XpPreview } from "../../api/client";
import { qk } from "../../api/queries";
import { createStore } from "../../lib/store";
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

/** Completions waiting for the worker's award: task id -> toast id. */
const pending = new Map<string, { toastId: string; estimate: number; title: string; at: number }>();

/** Completion awards that arrived with no completion of mine pending: task id -> award. The worker can
 * score a completion before the browser has processed the response to its own POST; `announceCompletion`
 * then finds the award here instead of waiting for one that already came. */
const early = new Map<string, { award: XpAwarded; at: number }>();
const EARLY_KEEP_MS = 10_000; // the response of my own POST is never that far behind its award

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
function previewedXp(qc: QueryClient, taskId: string): number | null {
  const me = qc.getQueryData<User>(qk.me);
  const previews = qc.getQueriesData<XpPreview>({ queryKey: qk.xpPreview(taskId) }).filter(([, data]) => data);
  const mine = previews.at(-1)?.[1]?.awards.find((a) => a.user_id === me?.id);
  return mine ? mine.xp : null;
}

/** Called right after a completion succeeds: "+N XP" from the server's preview at once, then the award. */
export function announceCompletion(qc: QueryClient, task: Task) {
  if (!gamificationOn.current) return;
  const estimate = previewedXp(qc, task.id);
  qc.removeQueries({ queryKey: qk.xpPreview(task.id) });
  const toastId = `xp-${task.id}`; // one toast per task: a re-completion replaces it, never stacks a stale one
  const arrived = early.get(task.id);
  early.delete(task.id);
  if (arrived && Date.now() - arrived.at < EARLY_KEEP_MS) {
    const d = arrived.award;
    toast.custom(() => <XpToast xp={d.xp} title={task.title} explanation={d.explanation} />, { id: toastId, duration: 10_000 });
    return;
  }
  pending.set(task.id, { toastId, estimate: estimate ?? 0, title: task.title, at: Date.now() });
  if (estimate) bumpProgress(qc, estimate);
  toast.custom(() => <XpToast xp={estimate} estimate title={task.title} />, { id: toastId, duration: 15_000 });
}

export function onXpAwarded(qc: QueryClient, d: XpAwarded) {
  const p = d.task_id ? pending.get(d.task_id) : undefined;
  if (p && d.event_type === "task.completed") {
    pending.delete(d.task_id!);
    toast.custom(() => <XpToast xp={d.xp} title={p.title} explanation={d.explanation} />, { id: p.toastId, duration: 10_000 });
    return settle(qc, d);
  }
  const earlyCompletion = d.task_id && d.event_type === "task.completed";
  if (earlyCompletion) {
    for (const [id, e] of early) if (Date.now() - e.at >= EARLY_KEEP_MS) early.delete(id);
    early.set(d.task_id!, { award: d, at: Date.now() });
  }
  if (gamificationOn.current && d.xp !== 0 && (d.explanation?.role !== "actor" || ["comment.created", "invite.accepted", "task.reopened", "xp.adjusted"].includes(d.event_type))) {
    // Small wins worth a nudge; routine ones (creating, moving, logging in) only move the bar. A completion's
    // toast takes the task's id, so my own completion's full toast replaces it if its response comes later.
    toast.custom(() => <XpToast xp={d.xp} explanation={d.explanation} compact />, { duration: 5000, ...(earlyCompletion ? { id: `xp-${d.task_id}` } : {}) });
  }
  settle(qc, d);
}

function settle(qc: QueryClient, d: XpAwarded) {
  qc.setQueryData<Progress>(qk.progress, (old) => (old ? { ...old, xp: d.xp_total } : old));
  void qc.invalidateQueries({ queryKey: qk.progress });
  void qc.invalidateQueries({ queryKey: ["xp-history"] });
}

export function onLevelUp(qc: QueryClient, d: { level: number; previous: number }) {
  void qc.invalidateQueries({ queryKey: qk.progress });
  if (gamificationOn.current) celebration.set({ level: d.level, previous: d.previous });
}

export function onAchievementUnlocked(qc: QueryClient, d: { key: string; name: string; description: string; tier: string | null }, userId: string) {
  void qc.invalidateQueries({ queryKey: qk.achievements(userId) });
  if (gamificationOn.current) toast.custom(() => <AchievementToast name={d.name} description={d.description} tier={d.tier} />, { duration: 8000 });
}
