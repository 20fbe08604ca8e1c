import { Dialog } from "radix-ui";
import { useState, type FormEvent } from "react";
import { useCreateTask } from "./mutations";

/** The list's create form ("C" or "New task"): a title, then the new task opens in the drawer. */
export function NewTaskDialog({ projectId, onClose, onCreated }: { projectId: string; onClose: () => void; onCreated: (taskId: string) => void }) {
  const create = useCreateTask(projectId);
  const [title, setTitle] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = title.trim();
    if (!t) return;
    // No column: the server puts it in the project's first to-do column.
    create.mutate(
      { title: t },
      {
        onSuccess: (task) => {
          onClose();
          onCreated(task.id);
        },
      },
    );
  };
  return (
    <Dialog.Root open onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog" data-testid="new-task-dialog">
          <Dialog.Title asChild>
            <h2>New task</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">It starts in the first to-do column; you can add the rest once it's open.</Dialog.Description>
          <form className="stack new-task-form" onSubmit={submit}>
            <div className="field">
              <label htmlFor="new-task-title">Title</label>
              <input className="input" id="new-task-title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus required maxLength={500} placeholder="What needs doing?" />
            </div>
            <div className="dialog-actions">
              <Dialog.Close asChild>
                <button className="btn" type="button">
                  Cancel
                </button>
              </Dialog.Close>
              <button className="btn primary" type="submit" disabled={create.isPending || !title.trim()}>
                {create.isPending ? "Creating…" : "Create task"}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
