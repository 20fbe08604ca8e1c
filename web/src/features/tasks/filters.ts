import type { Priority, Task } from "../../api/client";
import { PRIORITIES } from "../../components/ui";

/**
 * Task filters shared by the board and the list, kept in the URL so that switching views, reloading
 * and sharing a link all show the same tasks:
 *
 *   ?q=text &assignee=me|none|<user id> &priority=high &label=bug &due=overdue|week|none &status=<column id>
 *
 * The list asks the server for what its list endpoint can filter (text, assignee, priority, label,
 * column) and narrows the rest here; the board filters the tasks it has loaded with the same
 * `matchesFilter`, whose rules copy the server's (text in the title, description or key, any case;
 * any of the assignees and priorities; all of the labels).
 */
export type DueFilter = "overdue" | "week" | "none";
export const DUE_FILTERS: { value: DueFilter; label: string }[] = [
  { value: "overdue", label: "Overdue" },
  { value: "week", label: "Due this week" },
  { value: "none", label: "No due date" },
];

/** "none" in `assignee` means nobody is assigned. */
export const UNASSIGNED = "none";
/** The server's limit on `q`. */
export const MAX_QUERY = 200;

export interface TaskFilter {
  q: string;
  status: string[];
  assignee: string[];
  priority: Priority[];
  label: string[];
  due: DueFilter | null;
}

export const FILTER_PARAMS = ["q", "status", "assignee", "priority", "label", "due"] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];

const distinct = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];

/** The filter a URL describes; values the app can't use (an unknown priority, a bad due) are dropped. */
export function filterFromParams(params: URLSearchParams): TaskFilter {
  const due = params.get("due");
  return {
    q: (params.get("q") ?? "").trim().slice(0, MAX_QUERY),
    status: distinct(params.getAll("status")),
    assignee: distinct(params.getAll("assignee")),
    priority: distinct(params.getAll("priority")).filter((p): p is Priority => (PRIORITIES as string[]).includes(p)),
    label: distinct(params.getAll("label")),
    due: DUE_FILTERS.some((d) => d.value === due) ? (due as DueFilter) : null,
  };
}

/** A copy of `params` with one filter set to `value` (or removed); other parameters are kept. */
export function withFilter(params: URLSearchParams, key: FilterParam, value: string | null): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete(key);
  const v = value?.trim();
  if (v) next.set(key, key === "q" ? v.slice(0, MAX_QUERY) : v);
  return next;
}

/** A copy of `params` without any filter (the open task and the list's sort stay). */
export function withoutFilters(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  FILTER_PARAMS.forEach((k) => next.delete(k));
  return next;
}

export function isFiltering(f: TaskFilter): boolean {
  return !!(f.q || f.status.length || f.assignee.length || f.priority.length || f.label.length || f.due);
}

/** The query for GET /projects/{id}/tasks: what the server can filter. "Unassigned" and due it can't. */
export function serverQuery(f: TaskFilter) {
  const assignees = f.assignee.includes(UNASSIGNED) ? [] : f.assignee;
  return {
    status_id: f.status.length ? f.status : undefined,
    assignee_id: assignees.length ? assignees : undefined,
    label: f.label.length ? f.label : undefined,
    priority: f.priority.length ? f.priority : undefined,
    q: f.q || undefined,
  };
}

/** A date as YYYY-MM-DD in the browser's time zone (the day the person sees). */
export function localDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Monday to Sunday of the week holding `today`, as YYYY-MM-DD. */
export function weekOf(today: Date): { start: string; end: string } {
  const monday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - ((today.getDay() + 6) % 7));
  const sunday = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 6);
  return { start: localDay(monday), end: localDay(sunday) };
}

export interface FilterContext {
  /** The signed-in user, for assignee "me". */
  me: string | undefined;
  today: Date;
}

type FilterableTask = Pick<Task, "title" | "description" | "key" | "status_id" | "status_category" | "assignee_ids" | "priority" | "labels" | "due_date">;

export function matchesFilter(task: FilterableTask, f: TaskFilter, ctx: FilterContext): boolean {
  if (f.q) {
    const q = f.q.toLowerCase();
    if (![task.title, task.description ?? "", task.key].some((s) => s.toLowerCase().includes(q))) return false;
  }
  if (f.status.length && !f.status.includes(task.status_id)) return false;
  if (f.assignee.length) {
    const wanted = f.assignee.map((a) => (a === "me" ? ctx.me : a));
    const hit = wanted.some((a) => (a === UNASSIGNED ? task.assignee_ids.length === 0 : !!a && task.assignee_ids.includes(a)));
    if (!hit) return false;
  }
  if (f.priority.length && !f.priority.includes(task.priority)) return false;
  if (f.label.length && !f.label.every((l) => task.labels.includes(l))) return false;
  if (f.due) {
    const due = task.due_date;
    if (f.due === "none") return !due;
    if (!due) return false;
    const today = localDay(ctx.today);
    // Overdue as the card shows it: past its day and not done.
    if (f.due === "overdue") return due < today && task.status_category !== "done";
    const week = weekOf(ctx.today);
    return due >= week.start && due <= week.end;
  }
  return true;
}

/** The query string to carry when switching between the board and the list: everything but the open task. */
export function searchForView(params: URLSearchParams): string {
  const next = new URLSearchParams(params);
  next.delete("task");
  const s = next.toString();
  return s ? `?${s}` : "";
}
