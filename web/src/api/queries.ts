import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type Task } from "./client";

export const qk = {
  me: ["me"] as const,
  tokens: ["api-tokens"] as const,
  sessions: ["sessions"] as const,
  workspaces: ["workspaces"] as const,
  members: (ws: string) => ["members", ws] as const,
  invites: (ws: string) => ["invites", ws] as const,
  teams: (ws: string) => ["teams", ws] as const,
  projects: (ws: string) => ["projects", ws] as const,
  project: (pid: string) => ["project", pid] as const,
  board: (pid: string) => ["board", pid] as const,
  list: (pid: string, filters: object) => ["list", pid, filters] as const,
  task: (id: string) => ["task", id] as const,
  subtasks: (id: string) => ["subtasks", id] as const,
  comments: (id: string) => ["comments", id] as const,
  taskActivity: (id: string) => ["task-activity", id] as const,
  taskReactions: (id: string) => ["task-reactions", id] as const,
  progress: ["progress"] as const,
  xpHistory: (uid: string) => ["xp-history", uid] as const,
  achievements: (uid: string) => ["achievements", uid] as const,
  scoring: (ws: string) => ["scoring", ws] as const,
  /** Keyed by version too: an edit (priority, estimate, due date) asks again. */
  xpPreview: (taskId: string, version?: number) => (version === undefined ? (["xp-preview", taskId] as const) : (["xp-preview", taskId, version] as const)),
  activity: (ws: string) => ["activity", ws] as const,
};

export function useMe() {
  return useQuery({
    queryKey: qk.me,
    queryFn: () => unwrap(api.GET("/api/v1/me")),
    retry: false,
    staleTime: 60_000,
  });
}

export function useWorkspaces(enabled = true) {
  return useQuery({
    queryKey: qk.workspaces,
    queryFn: async () => (await unwrap(api.GET("/api/v1/workspaces", { params: { query: { limit: 100 } } }))).items,
    enabled,
  });
}

export function useMembers(ws: string | undefined) {
  return useQuery({
    queryKey: qk.members(ws ?? ""),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/workspaces/{workspace_id}/members", {
            params: { path: { workspace_id: ws! }, query: { limit: 200 } },
          }),
        )
      ).items,
    enabled: !!ws,
    staleTime: 30_000,
  });
}

export function useProjects(ws: string | undefined) {
  return useQuery({
    queryKey: qk.projects(ws ?? ""),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/workspaces/{workspace_id}/projects", {
            params: { path: { workspace_id: ws! }, query: { limit: 100 } },
          }),
        )
      ).items,
    enabled: !!ws,
  });
}

export function useProject(pid: string | undefined) {
  return useQuery({
    queryKey: qk.project(pid ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: pid! } } })),
    enabled: !!pid,
  });
}

/** Every top-level task of a project, in board order (pages of 200); `onPage` sees each partial list. */
export async function fetchBoardTasks(pid: string, onPage?: (soFar: Task[]) => void): Promise<Task[]> {
  const all: Task[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await unwrap(
      api.GET("/api/v1/projects/{project_id}/tasks", {
        params: { path: { project_id: pid }, query: { parent_id: "none", sort: "position", limit: 200, cursor } },
      }),
    );
    all.push(...page.items);
    if (!page.next_cursor) break;
    onPage?.([...all]);
    cursor = page.next_cursor;
  }
  return all;
}

export function useBoardTasks(pid: string | undefined) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: qk.board(pid ?? ""),
    // A big board shows its first page at once; the rest streams in behind it.
    queryFn: () =>
      fetchBoardTasks(pid!, (soFar) => {
        if (!qc.getQueryData(qk.board(pid!))) qc.setQueryData(qk.board(pid!), soFar);
      }),
    enabled: !!pid,
  });
}

export function useTask(id: string | undefined) {
  return useQuery({
    queryKey: qk.task(id ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id! } } })),
    enabled: !!id,
  });
}

export function useProgress(enabled = true) {
  return useQuery({
    queryKey: qk.progress,
    queryFn: () => unwrap(api.GET("/api/v1/me/progress")),
    enabled,
    staleTime: 15_000,
  });
}

/** What completing the task now would award, computed by the server's scoring kernel (never here). */
export function useXpPreview(task: Task | undefined, enabled: boolean) {
  return useQuery({
    queryKey: qk.xpPreview(task?.id ?? "", task?.version ?? 0),
    queryFn: () => unwrap(api.GET("/api/v1/tasks/{task_id}/xp-preview", { params: { path: { task_id: task!.id } } })),
    enabled: enabled && !!task && task.status_category !== "done",
    staleTime: 30_000,
    // A task seconds old earns nothing yet (instant completion): ask again until it would.
    refetchInterval: (q) => (q.state.data?.awards.some((a) => a.xp === 0) ? 10_000 : false),
    retry: false,
  });
}

export function useScoring(ws: string | undefined) {
  return useQuery({
    queryKey: qk.scoring(ws ?? ""),
    queryFn: () =>
      unwrap(api.GET("/api/v1/workspaces/{workspace_id}/scoring", { params: { path: { workspace_id: ws! } } })),
    enabled: !!ws,
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** Put a fresh copy of a task into every cache that shows it (board, task, lists). Older versions lose. */
export function upsertTask(qc: QueryClient, task: Task) {
  const cur = qc.getQueryData<Task>(qk.task(task.id));
  if (!cur || cur.version <= task.version) qc.setQueryData(qk.task(task.id), task);
  if (!task.parent_id) {
    qc.setQueryData<Task[]>(qk.board(task.project_id), (old) => {
      if (!old) return old;
      const i = old.findIndex((t) => t.id === task.id);
      if (i === -1) return [...old, task];
      if (old[i].version > task.version) return old;
      const next = old.slice();
      next[i] = task;
      return next;
    });
  } else {
    qc.invalidateQueries({ queryKey: qk.subtasks(task.parent_id) });
  }
  qc.invalidateQueries({ queryKey: ["list", task.project_id] });
}

export function removeTask(qc: QueryClient, projectId: string, taskId: string) {
  qc.setQueryData<Task[]>(qk.board(projectId), (old) => old?.filter((t) => t.id !== taskId));
  qc.invalidateQueries({ queryKey: ["list", projectId] });
}
