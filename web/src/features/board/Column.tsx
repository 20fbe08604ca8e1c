import { useDroppable } from "@dnd-kit/core";
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { DropdownMenu } from "radix-ui";
import { ArrowLeft, ArrowRight, MoreHorizontal, Pencil, Plus, Trash2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { TitleLimit, titleTooLong } from "../tasks/TitleLimit";
import type { Status, Task } from "../../api/client";
import { SortableCard } from "./TaskCard";
import { plural } from "../../lib/plural";

const CATEGORY_LABEL = { todo: "To do", in_progress: "In progress", done: "Done" } as const;

export interface ColumnProps {
  status: Status;
  tasks: Task[];
  people: Map<string, string>;
  onOpen: (id: string) => void;
  onQuickAdd: (statusId: string, title: string) => void;
  onRename: (status: Status, name: string) => void;
  onCategory: (status: Status, category: Status["category"]) => void;
  onMove: (status: Status, dir: -1 | 1) => void;
  onDelete: (status: Status) => void;
  first: boolean;
  last: boolean;
  /** Whether the quick-add field is open: the board owns it, so "C" can open it. */
  adding: boolean;
  onAdding: (open: boolean) => void;
}

export function Column({ status, tasks, people, onOpen, onQuickAdd, onRename, onCategory, onMove, onDelete, first, last, adding, onAdding: setAdding }: ColumnProps) {
  const { setNodeRef, isOver } = useDroppable({ id: `col:${status.id}`, data: { colId: status.id } });
  const [renaming, setRenaming] = useState(false);
  const [titleLength, setTitleLength] = useState(0);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const input = e.currentTarget.elements.namedItem("title") as HTMLInputElement;
    const title = input.value.trim();
    if (titleTooLong(title)) return; // the message under the input says why
    if (title) onQuickAdd(status.id, title);
    input.value = "";
    setTitleLength(0);
  };
  const headingId = `col-h-${status.id}`;
  return (
    <section className={`column ${isOver ? "is-over" : ""}`} aria-labelledby={headingId} data-testid="column" data-status-id={status.id}>
      <div className="column-head">
        <span className={`cat-dot ${status.category}`} title={CATEGORY_LABEL[status.category]} aria-hidden />
        {renaming ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const v = (e.currentTarget.elements.namedItem("name") as HTMLInputElement).value.trim();
              if (v && v !== status.name) onRename(status, v);
              setRenaming(false);
            }}
            style={{ flex: 1 }}
          >
            <input className="input" name="name" defaultValue={status.name} autoFocus onBlur={(e) => e.currentTarget.form?.requestSubmit()} onKeyDown={(e) => e.key === "Escape" && setRenaming(false)} aria-label="Column name" style={{ height: 28 }} />
          </form>
        ) : (
          <h2 id={headingId}>{status.name}</h2>
        )}
        <span className="count" aria-label={plural(tasks.length, "task")}>
          {tasks.length}
        </span>
        <span className="spacer" />
        <button className="btn ghost icon sm" onClick={() => setAdding(true)} aria-label={`Add task to ${status.name}`}>
          <Plus size={15} />
        </button>
        <DropdownMenu.Root>
          <DropdownMenu.Trigger asChild>
            <button className="btn ghost icon sm" aria-label={`${status.name} column options`}>
              <MoreHorizontal size={15} />
            </button>
          </DropdownMenu.Trigger>
          <DropdownMenu.Portal>
            <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
              <DropdownMenu.Item className="menu-item" onSelect={() => setRenaming(true)}>
                <Pencil size={14} /> Rename
              </DropdownMenu.Item>
              <DropdownMenu.Sub>
                <DropdownMenu.SubTrigger className="menu-item">
                  <span className={`cat-dot ${status.category}`} /> Category: {CATEGORY_LABEL[status.category]}
                </DropdownMenu.SubTrigger>
                <DropdownMenu.Portal>
                  <DropdownMenu.SubContent className="menu" sideOffset={4}>
                    {(Object.keys(CATEGORY_LABEL) as Status["category"][]).map((c) => (
                      <DropdownMenu.Item key={c} className="menu-item" onSelect={() => onCategory(status, c)}>
                        <span className={`cat-dot ${c}`} /> {CATEGORY_LABEL[c]}
                      </DropdownMenu.Item>
                    ))}
                  </DropdownMenu.SubContent>
                </DropdownMenu.Portal>
              </DropdownMenu.Sub>
              <DropdownMenu.Item className="menu-item" disabled={first} onSelect={() => onMove(status, -1)}>
                <ArrowLeft size={14} /> Move left
              </DropdownMenu.Item>
              <DropdownMenu.Item className="menu-item" disabled={last} onSelect={() => onMove(status, 1)}>
                <ArrowRight size={14} /> Move right
              </DropdownMenu.Item>
              <DropdownMenu.Separator className="menu-sep" />
              <DropdownMenu.Item className="menu-item danger" onSelect={() => onDelete(status)}>
                <Trash2 size={14} /> Delete column
              </DropdownMenu.Item>
            </DropdownMenu.Content>
          </DropdownMenu.Portal>
        </DropdownMenu.Root>
      </div>
      <SortableContext id={status.id} items={tasks.map((t) => t.id)} strategy={verticalListSortingStrategy}>
        <div ref={setNodeRef} className="column-body">
          {tasks.map((t) => (
            <SortableCard key={t.id} task={t} people={people} onOpen={onOpen} colId={status.id} />
          ))}
          {tasks.length === 0 && !adding && <p className="small muted" style={{ textAlign: "center", padding: "14px 0" }}>Drop tasks here</p>}
        </div>
      </SortableContext>
      <div className="quick-add">
        {adding ? (
          <form onSubmit={submit}>
            <input className="input" name="title" placeholder="Task title, then Enter" autoFocus aria-label={`New task in ${status.name}`} onKeyDown={(e) => e.key === "Escape" && setAdding(false)} onBlur={(e) => !e.currentTarget.value && setAdding(false)} onInput={(e) => setTitleLength(e.currentTarget.value.trim().length)} />
            <TitleLimit length={titleLength} />
          </form>
        ) : (
          <button className="btn ghost sm block" style={{ justifyContent: "flex-start", color: "var(--muted)" }} onClick={() => setAdding(true)}>
            <Plus size={14} /> Add task
          </button>
        )}
      </div>
    </section>
  );
}
