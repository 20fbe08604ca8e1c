import type { Task } from "../../api/client";

export const GAP = 1024;

/** A position between two neighbours (fractional indexing on floats; the server keeps the number). */
export function positionBetween(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return GAP;
  if (before === undefined) return after! - GAP;
  if (after === undefined) return before + GAP;
  return (before + after) / 2;
}

/** Tasks grouped by column, each column in position order. */
export function groupByStatus(tasks: Task[], statusIds: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(statusIds.map((s) => [s, [] as string[]]));
  const sorted = [...tasks].sort((a, b) => a.position - b.position || a.number - b.number);
  for (const t of sorted) (out[t.status_id] ??= []).push(t.id);
  return out;
}

/** Where `id` ends up: its column and the position between its new neighbours. */
export function dropTarget(items: Record<string, string[]>, id: string, byId: Map<string, Task>): { statusId: string; position: number } | null {
  for (const [statusId, ids] of Object.entries(items)) {
    const i = ids.indexOf(id);
    if (i === -1) continue;
    const before = i > 0 ? byId.get(ids[i - 1])?.position : undefined;
    const after = i < ids.length - 1 ? byId.get(ids[i + 1])?.position : undefined;
    return { statusId, position: positionBetween(before, after) };
  }
  return null;
}
