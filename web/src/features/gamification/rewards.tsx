import type { QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap, type Progress, type ScoringWeights, type Task, type User } from "../../api/client";
import { qk } from "../../api/queries";
import { createStore } from "../../lib/store";
import { XpToast, AchievementToast, type Explanation } from "./XpToast";

export interface XpAwarded {
  event_id: number;
  event_type: string;
  workspace_id: string | null;
  task_id: string | null;
  xp: number;
  xp_total: number;
  explanation: Explanation;
}

/** Defaults of docs/SCORING.md, used until the workspace's weights have loaded. */
const FALLBACK = { task_completed: 30, priority: { none: 1, low: 1.1, medium: 1.2, high: 1.5, urgent: 2 }, estimate_step: 0.25, estimate_cap: 2, on_time_multiplier: 1.2, instant_completion_seconds: 30, instant_completion_factor: 0 };

/** What completing this task will probably earn: base × priority × estimate × on time. The worker decides. */
export function estimateCompletionXp(task: Pick<Task, "priority" | "estimate" | "due_date"> & { created_at?: string }, weights?: ScoringWeights | null, today = new Date()): number {
  const w = { ...FALLBACK, ...(weights ?? {}) };
  const age = task.created_at ? (today.getTime() - new Date(task.created_at).getTime()) / 1000 : Infinity;
  const instant = age < (w.instant_completion_seconds ?? 30) ? (w.instant_completion_factor ?? 0) : 1;
  const pri = { ...FALLBACK.priority, ...(w.priority ?? {}) }[task.priority] ?? 1;
  const est = task.estimate ? Math.min(1 + (w.estimate_step ?? 0.25) * Math.sqrt(task.estimate), w.estimate_cap ?? 2) : 1;
  const iso = today.toISOString().slice(0, 10);
  const onTime = task.due_date && task.due_date >= iso ? (w.on_time_multiplier ?? 1.2) : 1;
  return Math.round((w.task_completed ?? 30) * instant * pri * est * onTime);
}

/** Completions waiting for the worker's award: task id -> toast id. */
const pending = new Map<string, { toastId: string; estimate: number; title: string; at: number }>();

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

/** Called right after a completion succeeds: an instant "+≈N XP", reconciled by `xp.awarded`. */
export function announceCompletion(qc: QueryClient, task: Task, weights?: ScoringWeights | null) {
  if (!gamificationOn.current) return;
  const estimate = estimateCompletionXp(task, weights);
  const toastId = `xp-${task.id}-${Date.now()}`;
  pending.set(task.id, { toastId, estimate, title: task.title, at: Date.now() });
  bumpProgress(qc, estimate);
  toast.custom(() => <XpToast xp={estimate} estimate title={task.title} />, { id: toastId, duration: 15_000 });
  // The worker answers with `xp.awarded`; a zero award sends no event, so the ledger is asked too.
  const me = qc.getQueryData<User>(qk.me);
  if (me) for (const ms of [2500, 6000, 12000]) setTimeout(() => void reconcileFromLedger(qc, me.id, task.id), ms);
}

async function reconcileFromLedger(qc: QueryClient, userId: string, taskId: string) {
  const p = pending.get(taskId);
  if (!p) return;
  try {
    const page = await unwrap(api.GET("/api/v1/users/{user_id}/xp-history", { params: { path: { user_id: userId }, query: { limit: 20 } } }));
    const row = page.items.find((r) => r.task_id === taskId && r.event_type === "task.completed" && new Date(r.occurred_at).getTime() >= p.at - 60_000);
    if (!row || !pending.has(taskId)) return;
    pending.delete(taskId);
    toast.custom(() => <XpToast xp={row.xp} title={p.title} explanation={row.explanation as Explanation} />, { id: p.toastId, duration: 10_000 });
    void qc.invalidateQueries({ queryKey: qk.progress });
  } catch {
    /* the socket event may still come */
  }
}

export function onXpAwarded(qc: QueryClient, d: XpAwarded) {
  const p = d.task_id ? pending.get(d.task_id) : undefined;
  if (p && d.event_type === "task.completed") {
    pending.delete(d.task_id!);
    toast.custom(() => <XpToast xp={d.xp} title={p.title} explanation={d.explanation} />, { id: p.toastId, duration: 10_000 });
  } else if (gamificationOn.current && d.xp !== 0 && (d.explanation?.role === "receiver" || ["comment.created", "invite.accepted", "task.reopened"].includes(d.event_type))) {
    // Small wins worth a nudge; routine ones (creating, moving, logging in) only move the bar.
    toast.custom(() => <XpToast xp={d.xp} explanation={d.explanation} compact />, { duration: 5000 });
  }
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
