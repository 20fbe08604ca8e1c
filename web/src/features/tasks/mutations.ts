import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, ApiError, errorMessage, unwrap, type Task, type TaskPatch } from "../../api/client";
import { qk, upsertTask } from "../../api/queries";
import { createStore } from "../../lib/store";
import { offerUndo } from "../../lib/undo";
import { announceCompletion } from "../gamification/rewards";

export interface Conflict {
  task: Task; // what we showed when the edit began
  patch: TaskPatch; // what we tried to change
  current: Task; // the server's version
}
export const conflicts = createStore<Conflict | null>(null);

type Snapshot = { board?: Task[]; task?: Task };

/** The newest version of a task this tab knows: a queued edit goes out on top of the one before it. */
export function latestVersion(qc: QueryClient, task: Task): number {
  const cached = qc.getQueryData<Task>(qk.task(task.id))?.version ?? 0;
  const onBoard = qc.getQueryData<Task[]>(qk.board(task.project_id))?.find((t) => t.id === task.id)?.version ?? 0;
  return Math.max(task.version, cached, onBoard);
}

/** Task edits from this tab run one after another (a TanStack mutation scope), each with the version the
 * previous one left: changing the priority and then at once completing never races itself into a 409. */
const TASK_SCOPE = { id: "task-edits" };

function applyOptimistic(qc: QueryClient, task: Task, patch: TaskPatch, extra?: Partial<Task>): Snapshot {
  const snap: Snapshot = {
    board: qc.getQueryData<Task[]>(qk.board(task.project_id)),
    task: qc.getQueryData<Task>(qk.task(task.id)),
  };
  const { version: _version, ...rest } = patch;
  void _version;
  const fields = { ...(rest as Partial<Task>), ...extra };
  qc.setQueryData<Task[]>(qk.board(task.project_id), (old) => old?.map((t) => (t.id === task.id ? { ...t, ...fields } : t)));
  if (snap.task) qc.setQueryData<Task>(qk.task(task.id), { ...snap.task, ...fields });
  return snap;
}

function rollback(qc: QueryClient, task: Task, snap: Snapshot | undefined) {
  if (!snap) return;
  if (snap.board) qc.setQueryData(qk.board(task.project_id), snap.board);
  if (snap.task) qc.setQueryData(qk.task(task.id), snap.task);
}

export interface UpdateVars {
  task: Task;
  patch: Omit<TaskPatch, "version">;
  /** The version the edit was based on (defaults to the task's): a stale one gets the conflict dialog. */
  baseVersion?: number;
  /** Set when the move lands in a done column: show the XP estimate. */
  completes?: boolean;
  /** Derived fields to show at once (e.g. the new column's category). */
  optimistic?: Partial<Task>;
}

/** PATCH a task optimistically; roll back with a message on error, open the conflict dialog on 409. */
export function useUpdateTask() {
  const qc = useQueryClient();
  return useMutation({
    scope: TASK_SCOPE,
    mutationFn: (v: UpdateVars) =>
      unwrap(
        api.PATCH("/api/v1/tasks/{task_id}", {
          params: { path: { task_id: v.task.id } },
          body: { ...v.patch, version: v.baseVersion ?? latestVersion(qc, v.task) },
        }),
      ),
    onMutate: async (v) => {
      await qc.cancelQueries({ queryKey: qk.board(v.task.project_id) });
      return applyOptimistic(qc, v.task, v.patch, v.optimistic);
    },
    onError: (e, v, snap) => {
      rollback(qc, v.task, snap);
      if (e instanceof ApiError && e.status === 409 && e.body.current) {
        const current = e.body.current as Task;
        upsertTask(qc, current);
        conflicts.set({ task: v.task, patch: v.patch, current });
      } else {
        toast.error(`Couldn't save ${v.task.key}: ${errorMessage(e)}. Your change was undone.`);
      }
    },
    onSuccess: (task, v) => {
      upsertTask(qc, task);
      if (v.completes || (task.status_category === "done" && v.task.status_category !== "done")) {
        announceCompletion(qc, task);
        void qc.invalidateQueries({ queryKey: qk.taskActivity(task.id) });
      }
    },
  });
}

/** Complete or reopen with the task's version. */
export function useToggleComplete() {
  const qc = useQueryClient();
  return useMutation({
    scope: TASK_SCOPE,
    mutationFn: ({ task }: { task: Task }) =>
      task.status_category === "done"
        ? unwrap(api.POST("/api/v1/tasks/{task_id}/reopen", { params: { path: { task_id: task.id } }, body: { version: latestVersion(qc, task) } }))
        : unwrap(api.POST("/api/v1/tasks/{task_id}/complete", { params: { path: { task_id: task.id } }, body: { version: latestVersion(qc, task) } })),
    onError: (e, { task }) => {
      if (e instanceof ApiError && e.status === 409 && e.body.current) {
        upsertTask(qc, e.body.current as Task);
        toast.error(`${task.key} changed meanwhile: here is the latest. Try again.`);
      } else toast.error(`Couldn't update ${task.key}: ${errorMessage(e)}`);
    },
    onSuccess: (task, { task: before }) => {
      upsertTask(qc, task);
      void qc.invalidateQueries({ queryKey: qk.taskActivity(task.id) });
      if (task.status_category === "done" && before.status_category !== "done") announceCompletion(qc, task);
    },
  });
}

export function useCreateTask(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { title: string; status_id?: string; parent_id?: string; description?: string; priority?: Task["priority"] }) =>
      unwrap(api.POST("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: projectId } }, body })),
    onMutate: async (body) => {
      if (body.parent_id || !body.status_id) return undefined;
      await qc.cancelQueries({ queryKey: qk.board(projectId) });
      const prev = qc.getQueryData<Task[]>(qk.board(projectId));
      const col = (prev ?? []).filter((t) => t.status_id === body.status_id);
      const tempId = `temp-${Date.now()}`;
      const now = new Date().toISOString();
      const temp: Task = {
        id: tempId,
        key: "…",
        number: 0,
        project_id: projectId,
        workspace_id: "",
        title: body.title,
        description: "",
        status_id: body.status_id,
        status_category: "todo",
        priority: body.priority ?? "none",
        assignee_ids: [],
        labels: [],
        due_date: null,
        estimate: null,
        parent_id: null,
        subtask_count: 0,
        position: (col.at(-1)?.position ?? 0) + 1024,
        completed_at: null,
        completed_by: null,
        created_by: null,
        created_at: now,
        updated_at: now,
        version: 0,
      };
      qc.setQueryData<Task[]>(qk.board(projectId), (old) => [...(old ?? []), temp]);
      return { prev, tempId };
    },
    onError: (e, _b, ctx) => {
      if (ctx?.prev) qc.setQueryData(qk.board(projectId), ctx.prev);
      toast.error(`Couldn't create the task: ${errorMessage(e)}`);
    },
    onSuccess: (task, _b, ctx) => {
      if (ctx?.tempId) qc.setQueryData<Task[]>(qk.board(projectId), (old) => old?.filter((t) => t.id !== ctx.tempId));
      upsertTask(qc, task);
    },
  });
}

export function useDeleteTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (task: Task) => unwrap(api.DELETE("/api/v1/tasks/{task_id}", { params: { path: { task_id: task.id } } })),
    onMutate: async (task) => {
      const prev = qc.getQueryData<Task[]>(qk.board(task.project_id));
      qc.setQueryData<Task[]>(qk.board(task.project_id), (old) => old?.filter((t) => t.id !== task.id));
      return { prev };
    },
    onError: (e, task, ctx) => {
      if (ctx?.prev) qc.setQueryData(qk.board(task.project_id), ctx.prev);
      toast.error(`Couldn't delete ${task.key}: ${errorMessage(e)}`);
    },
    onSuccess: (_d, task) => {
      qc.invalidateQueries({ queryKey: ["list", task.project_id] });
      if (task.parent_id) qc.invalidateQueries({ queryKey: qk.subtasks(task.parent_id) });
      offerUndo(`${task.key} deleted`, () => restoreTask(qc, task), `${task.key} restored`);
    },
  });
}

/** Undo a delete: the server brings the task back as it was (comments, subtasks, position, XP untouched). */
async function restoreTask(qc: QueryClient, task: Task) {
  const restored = await unwrap(api.POST("/api/v1/tasks/{task_id}/restore", { params: { path: { task_id: task.id } } }));
  upsertTask(qc, restored);
  // Its subtasks moved back under it: the board refetches rather than guessing which cards leave.
  void qc.invalidateQueries({ queryKey: qk.board(task.project_id) });
  void qc.invalidateQueries({ queryKey: qk.subtasks(task.id) });
  return restored;
}
