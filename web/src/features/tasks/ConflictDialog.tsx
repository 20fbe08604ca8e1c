import { Dialog } from "radix-ui";
import type { Task } from "../../api/client";
import { useMembers, useProject } from "../../api/queries";
import { PRIORITY_LABEL } from "../../components/ui";
import { conflicts, useUpdateTask } from "./mutations";

function show(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "—";
  return String(v);
}

const LABELS: Record<string, string> = { title: "Title", description: "Description", status_id: "Column", priority: "Priority", assignee_ids: "Assignees", labels: "Labels", due_date: "Due date", estimate: "Estimate", position: "Position" };

/** A stale edit (409): show mine against the server's and let the user choose. */
export function ConflictDialog() {
  const c = conflicts.use();
  const update = useUpdateTask();
  const project = useProject(c?.current.project_id);
  const members = useMembers(c?.current.workspace_id);
  if (!c) return null;
  // Ids become the names people know.
  const readable = (field: string, v: unknown): unknown => {
    if (field === "status_id") return project.data?.statuses.find((st) => st.id === v)?.name ?? v;
    if (field === "assignee_ids" && Array.isArray(v)) return v.map((id) => members.data?.find((m) => m.user_id === id)?.name ?? "Member");
    if (field === "priority" && typeof v === "string") return PRIORITY_LABEL[v as Task["priority"]] ?? v;
    return v;
  };
  const fields = Object.keys(c.patch).filter((k) => k !== "position" || !("status_id" in c.patch));
  const close = () => conflicts.set(null);
  const reapply = () => {
    update.mutate({ task: c.current, patch: c.patch, baseVersion: c.current.version });
    close();
  };
  const cur = c.current as unknown as Record<string, unknown>;
  const mine = c.patch as Record<string, unknown>;
  return (
    <Dialog.Root open onOpenChange={(o) => !o && close()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" style={{ zIndex: 59 }} />
        <Dialog.Content className="dialog wide" data-testid="conflict-dialog">
          <Dialog.Title asChild>
            <h2>Someone changed {c.current.key} while you were editing</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">
            Your edit was based on an older version. Choose which to keep — nothing is lost until you decide.
          </Dialog.Description>
          <div className="diff">
            <div className="h">Field</div>
            <div className="h">Yours</div>
            <div className="h">Now on the server</div>
            {fields.map((f) => (
              <Row key={f} label={LABELS[f] ?? f} mine={show(readable(f, mine[f]))} theirs={show(readable(f, cur[f]))} />
            ))}
          </div>
          <div className="dialog-actions">
            <button className="btn" onClick={close}>
              Keep server's version
            </button>
            <button className="btn primary" onClick={reapply}>
              Reapply my change
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function Row({ label, mine, theirs }: { label: string; mine: string; theirs: string }) {
  return (
    <>
      <div className="h">{label}</div>
      <div className="mine">{mine}</div>
      <div>{theirs}</div>
    </>
  );
}

export type { Task };
