import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, errorMessage, unwrap, type Project, type Status } from "../../api/client";
import { qk } from "../../api/queries";
import { offerUndo } from "../../lib/undo";

type Category = Status["category"];

/** Column management: add, rename, recategorise, reorder, delete (moving its tasks). */
export function useColumnActions(project: Project) {
  const qc = useQueryClient();
  const pid = project.id;
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: qk.project(pid) });
    void qc.invalidateQueries({ queryKey: qk.board(pid) });
  };
  const setStatuses = (statuses: Status[]) => qc.setQueryData<Project>(qk.project(pid), (p) => (p ? { ...p, statuses } : p));
  const fail = (what: string) => (e: unknown) => {
    toast.error(`Couldn't ${what}: ${errorMessage(e)}`);
    refresh();
  };

  const add = useMutation({
    mutationFn: (body: { name: string; category: Category }) => unwrap(api.POST("/api/v1/projects/{project_id}/statuses", { params: { path: { project_id: pid } }, body })),
    onSuccess: (s) => setStatuses([...(qc.getQueryData<Project>(qk.project(pid))?.statuses ?? []), s]),
    onError: fail("add the column"),
  });
  const update = useMutation({
    mutationFn: ({ id, ...body }: { id: string; name?: string; category?: Category }) => unwrap(api.PATCH("/api/v1/statuses/{status_id}", { params: { path: { status_id: id } }, body })),
    onMutate: ({ id, ...body }) => setStatuses((qc.getQueryData<Project>(qk.project(pid))?.statuses ?? []).map((s) => (s.id === id ? { ...s, ...body } : s))),
    onSuccess: refresh,
    onError: fail("update the column"),
  });
  const reorder = useMutation({
    mutationFn: (ids: string[]) => unwrap(api.PUT("/api/v1/projects/{project_id}/statuses/order", { params: { path: { project_id: pid } }, body: { status_ids: ids } })),
    onMutate: (ids) => {
      const cur = qc.getQueryData<Project>(qk.project(pid))?.statuses ?? [];
      setStatuses(ids.map((id, i) => ({ ...cur.find((s) => s.id === id)!, position: i })));
    },
    onError: fail("reorder the columns"),
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.project(pid) }),
  });
  const remove = useMutation({
    mutationFn: ({ id, moveTo }: { id: string; moveTo?: string }) => unwrap(api.DELETE("/api/v1/statuses/{status_id}", { params: { path: { status_id: id }, query: { move_to: moveTo } } })),
    onMutate: ({ id }) => ({ name: qc.getQueryData<Project>(qk.project(pid))?.statuses.find((s) => s.id === id)?.name ?? "" }),
    onSuccess: (_d, { id }, ctx) => {
      refresh();
      const name = ctx?.name ?? "";
      offerUndo(
        `Column “${name}” deleted`,
        async () => {
          await unwrap(api.POST("/api/v1/statuses/{status_id}/restore", { params: { path: { status_id: id } } }));
          refresh();
        },
        `Column “${name}” restored`,
      );
    },
    onError: fail("delete the column"),
  });
  return { add, update, reorder, remove };
}
