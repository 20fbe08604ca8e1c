import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import type { Explanation, LedgerItem, Project, Status, Task } from "../api/client";

export function renderWithProviders(ui: ReactElement, { route = "/", qc = new QueryClient({ defaultOptions: { queries: { retry: false } } }) } = {}) {
  return { qc, ...render(<QueryClientProvider client={qc}><MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter></QueryClientProvider>) };
}

export const statuses: Status[] = [
  { id: "s-todo", project_id: "p1", name: "To do", category: "todo", position: 0, created_at: "2026-01-01T00:00:00Z" },
  { id: "s-doing", project_id: "p1", name: "In progress", category: "in_progress", position: 1, created_at: "2026-01-01T00:00:00Z" },
  { id: "s-done", project_id: "p1", name: "Done", category: "done", position: 2, created_at: "2026-01-01T00:00:00Z" },
];

export const project: Project = { id: "p1", workspace_id: "w1", name: "Launch", key: "LCH", description: "", created_by: null, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", statuses };

let n = 0;
export function makeTask(over: Partial<Task> = {}): Task {
  n += 1;
  return {
    id: `t${n}`, key: `LCH-${n}`, number: n, project_id: "p1", workspace_id: "w1", title: `Task ${n}`, description: "",
    status_id: "s-todo", status_category: "todo", priority: "none", assignee_ids: [], labels: [], due_date: null, estimate: null,
    parent_id: null, subtask_count: 0, position: n * 1024, completed_at: null, completed_by: null, created_by: null,
    created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", version: 1, ...over,
  };
}

/** A fetch stub: routes "METHOD /path" to a handler returning [status, body]. Records calls. */
export function stubFetch(routes: Record<string, (body: unknown, url: URL) => [number, unknown]>) {
  const calls: { method: string; path: string; body: unknown; headers: Headers }[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    const req = input as Request;
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: req.method, path: url.pathname, body, headers: req.headers });
    const key = Object.keys(routes).find((k) => {
      const [m, p] = k.split(" ");
      return m === req.method && new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(url.pathname);
    });
    const [status, out] = key ? routes[key](body, url) : [404, { error: { code: "not_found", message: "Not Found" } }];
    if (status === 204) return new Response(null, { status }); // a null-body status can't carry JSON
    return new Response(JSON.stringify(out), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return calls;
}

/** A complete award explanation (the API's typed schema), with the fields a test cares about. */
export function makeExplanation(over: Partial<Explanation> = {}): Explanation {
  return {
    event_type: "task.completed",
    role: "actor",
    xp: 30,
    board_xp: 30,
    base: { name: "task_completed", xp: 30 },
    multipliers: [],
    bonuses: [],
    caps: [],
    reasons: [],
    formula: "30 = 30 -> 30",
    rounding: "half up, once, at the end",
    weights_version: 1,
    ...over,
  };
}

export function makeLedgerItem(over: Partial<LedgerItem> = {}): LedgerItem {
  return {
    id: 1,
    event_id: 1,
    event_type: "task.completed",
    role: "actor",
    xp: 30,
    board_xp: 30,
    workspace_id: null,
    task_id: null,
    occurred_at: new Date().toISOString(),
    explanation: makeExplanation(),
    corrected_xp: null,
    corrects_id: null,
    corrections: [],
    flags: [],
    ...over,
  };
}

