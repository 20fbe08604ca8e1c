import {
  closestCorners,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  TouchSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
} from "@dnd-kit/core";
import { arrayMove, sortableKeyboardCoordinates } from "@dnd-kit/sortable";
import { Dialog } from "radix-ui";
import { Plus } from "lucide-react";
import { useCallback, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useParams, useSearchParams } from "react-router";
import type { Project, Status, Task } from "../../api/client";
import { useBoardTasks, useMembers, useProject } from "../../api/queries";
import { FilterBar, useTaskFilter } from "../tasks/FilterBar";
import { useProjectShortcuts } from "../tasks/useProjectShortcuts";
import { Spinner } from "../../components/ui";
import { useRoom } from "../../realtime/socket";
import { useCreateTask, useUpdateTask } from "../tasks/mutations";
import { TaskDrawer } from "../tasks/TaskDrawer";
import { ProjectBar } from "../projects/ProjectBar";
import { Column } from "./Column";
import { useColumnActions } from "./columns";
import { dropTarget, groupByStatus } from "./positions";
import { CardBody } from "./TaskCard";

/** Animate cards that changed column without a local drag (a teammate moved them): FLIP. */
function useGlide(root: React.RefObject<HTMLElement | null>, dep: unknown, skip: React.RefObject<Set<string>>, active: boolean) {
  const prev = useRef(new Map<string, { x: number; y: number; col: string }>());
  useLayoutEffect(() => {
    const el = root.current;
    if (!el) return;
    const next = new Map<string, { x: number; y: number; col: string }>();
    el.querySelectorAll<HTMLElement>("[data-card-id]").forEach((card) => {
      const id = card.dataset.cardId!;
      const col = card.dataset.col!;
      const r = card.getBoundingClientRect();
      next.set(id, { x: r.left, y: r.top, col });
      const before = prev.current.get(id);
      if (!active && before && before.col !== col && !skip.current.has(id) && typeof card.animate === "function") {
        card.animate(
          [
            { transform: `translate(${before.x - r.left}px, ${before.y - r.top}px)`, boxShadow: "var(--shadow-lg)", zIndex: 5 },
            { transform: "translate(0, 0)", boxShadow: "var(--shadow-sm)", zIndex: 5 },
          ],
          { duration: 520, easing: "cubic-bezier(0.2, 0.8, 0.2, 1)" },
        );
        card.dataset.glided = "1";
      }
    });
    skip.current.clear();
    prev.current = next;
  }, [dep, active, root, skip]);
}

function AddColumn({ onAdd }: { onAdd: (name: string) => void }) {
  const [open, setOpen] = useState(false);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const input = e.currentTarget.elements.namedItem("name") as HTMLInputElement;
    if (input.value.trim()) onAdd(input.value.trim());
    input.value = "";
    setOpen(false);
  };
  return (
    <div className={`add-column ${open ? "" : "is-closed"}`}>
      {open ? (
        <form onSubmit={submit} className="stack">
          <input className="input" name="name" placeholder="Column name" autoFocus aria-label="New column name" onKeyDown={(e) => e.key === "Escape" && setOpen(false)} />
          <div className="row">
            <button className="btn primary sm" type="submit">
              Add column
            </button>
            <button className="btn ghost sm" type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button className="btn ghost" onClick={() => setOpen(true)} aria-label="Add column" title="Add column">
          <Plus size={16} />
        </button>
      )}
    </div>
  );
}

function DeleteColumnDialog({ status, statuses, count, onConfirm, onClose }: { status: Status; statuses: Status[]; count: number; onConfirm: (moveTo?: string) => void; onClose: () => void }) {
  const others = statuses.filter((s) => s.id !== status.id);
  const [moveTo, setMoveTo] = useState(others.find((s) => s.category === status.category)?.id ?? others[0]?.id);
  return (
    <Dialog.Root open onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog">
          <Dialog.Title asChild>
            <h2>Delete “{status.name}”?</h2>
          </Dialog.Title>
          <Dialog.Description className="muted">{count > 0 ? `Its ${count} task${count === 1 ? "" : "s"} will move to another column.` : "The column is empty."}</Dialog.Description>
          {count > 0 && (
            <div className="field" style={{ marginTop: 14 }}>
              <label htmlFor="move-to">Move tasks to</label>
              <select id="move-to" className="select" value={moveTo} onChange={(e) => setMoveTo(e.target.value)}>
                {others.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="dialog-actions">
            <button className="btn" onClick={onClose}>
              Cancel
            </button>
            <button className="btn primary" onClick={() => onConfirm(count > 0 ? moveTo : undefined)} style={{ background: "var(--danger)", borderColor: "var(--danger)", color: "white" }}>
              Delete column
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

export function Board({ project, tasks, people }: { project: Project; tasks: Task[]; people: Map<string, string> }) {
  const [, setParams] = useSearchParams();
  const statuses = useMemo(() => [...project.statuses].sort((a, b) => a.position - b.position), [project.statuses]);
  const statusIds = useMemo(() => statuses.map((s) => s.id), [statuses]);
  const byId = useMemo(() => new Map(tasks.map((t) => [t.id, t])), [tasks]);
  const grouped = useMemo(() => groupByStatus(tasks, statusIds), [tasks, statusIds]);
  const [drag, setDrag] = useState<{ id: string; items: Record<string, string[]>; from: string } | null>(null);
  const items = drag?.items ?? grouped;
  const update = useUpdateTask();
  const create = useCreateTask(project.id);
  const columns = useColumnActions(project);
  const [deleting, setDeleting] = useState<Status | null>(null);
  // One quick-add open at a time; "C" opens the first to-do column's.
  const [addingIn, setAddingIn] = useState<string | null>(null);
  const createIn = (statuses.find((s) => s.category === "todo") ?? statuses[0])?.id;
  useProjectShortcuts({ onCreate: () => createIn && setAddingIn(createIn) });
  const boardRef = useRef<HTMLDivElement>(null);
  const localMoves = useRef(new Set<string>());
  useGlide(boardRef, tasks, localMoves, !!drag);

  // Left/Right jump to the neighbouring column; Up/Down move within a column (dnd-kit's sortable getter).
  const layout = useRef({ statusIds, items });
  layout.current = { statusIds, items };
  const keyboardCoordinates = useMemo<KeyboardCoordinateGetter>(
    () => (event, args) => {
      if (event.code !== "ArrowRight" && event.code !== "ArrowLeft") return sortableKeyboardCoordinates(event, args);
      event.preventDefault();
      const { active, over, droppableRects } = args.context;
      const { statusIds: ids, items: its } = layout.current;
      const ref = String(over?.id ?? active?.id ?? "");
      const col = ref.startsWith("col:") ? ref.slice(4) : Object.keys(its).find((k) => its[k].includes(ref));
      const next = ids[ids.indexOf(col ?? "") + (event.code === "ArrowRight" ? 1 : -1)];
      const rect = next ? droppableRects.get(`col:${next}`) : undefined;
      return rect ? { x: rect.left + 6, y: rect.top + 6 } : undefined;
    },
    [],
  );
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 220, tolerance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: keyboardCoordinates, keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] } }),
  );

  const containerOf = useCallback(
    (id: string, its: Record<string, string[]>) => {
      if (id.startsWith("col:")) return id.slice(4);
      return Object.keys(its).find((k) => its[k].includes(id));
    },
    [],
  );

  const onDragStart = (e: DragStartEvent) => {
    const id = String(e.active.id);
    setDrag({ id, items: grouped, from: byId.get(id)?.status_id ?? "" });
  };

  const onDragOver = ({ active, over }: DragOverEvent) => {
    if (!over || !drag) return;
    const a = String(active.id);
    const o = String(over.id);
    const from = containerOf(a, drag.items);
    const to = containerOf(o, drag.items);
    if (!from || !to || from === to) return;
    setDrag((d) => {
      if (!d) return d;
      const fromItems = d.items[from].filter((x) => x !== a);
      const toItems = [...d.items[to]];
      const overIndex = o.startsWith("col:") ? toItems.length : Math.max(0, toItems.indexOf(o));
      toItems.splice(overIndex, 0, a);
      return { ...d, items: { ...d.items, [from]: fromItems, [to]: toItems } };
    });
  };

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    const d = drag;
    setDrag(null);
    if (!d || !over) return;
    const a = String(active.id);
    const o = String(over.id);
    let its = d.items;
    const col = containerOf(a, its);
    if (col && !o.startsWith("col:")) {
      const oldIndex = its[col].indexOf(a);
      const newIndex = its[col].indexOf(o);
      if (newIndex !== -1 && oldIndex !== newIndex) its = { ...its, [col]: arrayMove(its[col], oldIndex, newIndex) };
    }
    const task = byId.get(a);
    const target = dropTarget(its, a, byId);
    if (!task || !target) return;
    const sameSpot = target.statusId === task.status_id && grouped[task.status_id]?.indexOf(a) === its[target.statusId].indexOf(a);
    if (sameSpot) return;
    const toStatus = statuses.find((s) => s.id === target.statusId);
    localMoves.current.add(a);
    const patch = target.statusId === task.status_id ? { position: target.position } : { status_id: target.statusId, position: target.position };
    update.mutate({
      task,
      patch,
      // The optimistic copy carries the new category too, so the card looks done at once.
      optimistic: toStatus ? { status_category: toStatus.category } : undefined,
      completes: toStatus?.category === "done" && task.status_category !== "done",
    });
  };

  const statusName = (id: string | undefined) => statuses.find((s) => s.id === (id?.startsWith("col:") ? id.slice(4) : containerOf(id ?? "", items)))?.name ?? "";
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${byId.get(String(active.id))?.title ?? "task"}.`,
    onDragOver: ({ active, over }) => (over ? `${byId.get(String(active.id))?.title ?? "Task"} is over ${statusName(String(over.id))}.` : "Not over a column."),
    onDragEnd: ({ active, over }) => (over ? `Dropped ${byId.get(String(active.id))?.title ?? "task"} in ${statusName(String(over.id))}.` : "Dropped."),
    onDragCancel: ({ active }) => `Cancelled moving ${byId.get(String(active.id))?.title ?? "task"}.`,
  };

  const open = useCallback((id: string) => setParams((p) => { p.set("task", id); return p; }), [setParams]);
  const onQuickAdd = useCallback((statusId: string, title: string) => create.mutate({ title, status_id: statusId }), [create]);
  const active = drag ? byId.get(drag.id) : undefined;

  return (
    <>
      <DndContext
        sensors={sensors}
        collisionDetection={closestCorners}
        onDragStart={onDragStart}
        onDragOver={onDragOver}
        onDragEnd={onDragEnd}
        onDragCancel={() => setDrag(null)}
        accessibility={{ announcements, screenReaderInstructions: { draggable: "To move a task, press Space, use the arrow keys to choose a column and place, then press Space again. Press Enter to open it." } }}
      >
        <div className="board" ref={boardRef} data-testid="board">
          {statuses.map((s, i) => (
            <Column
              key={s.id}
              status={s}
              tasks={(items[s.id] ?? []).map((id) => byId.get(id)).filter((t): t is Task => !!t)}
              people={people}
              onOpen={open}
              onQuickAdd={onQuickAdd}
              onRename={(st, name) => columns.update.mutate({ id: st.id, name })}
              onCategory={(st, category) => columns.update.mutate({ id: st.id, category })}
              onMove={(st, dir) => {
                const ids = statuses.map((x) => x.id);
                const from = ids.indexOf(st.id);
                columns.reorder.mutate(arrayMove(ids, from, from + dir));
              }}
              onDelete={setDeleting}
              first={i === 0}
              last={i === statuses.length - 1}
              adding={addingIn === s.id}
              onAdding={(on) => setAddingIn((cur) => (on ? s.id : cur === s.id ? null : cur))}
            />
          ))}
          <AddColumn onAdd={(name) => columns.add.mutate({ name, category: "in_progress" })} />
        </div>
        <DragOverlay dropAnimation={{ duration: 180, easing: "cubic-bezier(0.2, 0.8, 0.2, 1)" }}>
          {active ? (
            <div className="card is-overlay">
              <CardBody task={active} people={people} />
            </div>
          ) : null}
        </DragOverlay>
      </DndContext>
      {deleting && (
        <DeleteColumnDialog
          status={deleting}
          statuses={statuses}
          count={(grouped[deleting.id] ?? []).length}
          onClose={() => setDeleting(null)}
          onConfirm={(moveTo) => {
            columns.remove.mutate({ id: deleting.id, moveTo });
            setDeleting(null);
          }}
        />
      )}
    </>
  );
}

export function BoardPage() {
  const { ws = "", pid = "" } = useParams();
  const project = useProject(pid);
  const tasks = useBoardTasks(pid);
  const members = useMembers(ws);
  const viewers = useRoom(pid ? { project_id: pid } : null);
  const people = useMemo(() => new Map((members.data ?? []).map((m) => [m.user_id, m.name])), [members.data]);
  const [params] = useSearchParams();
  const taskId = params.get("task");
  const { filter, active, matches } = useTaskFilter();
  const all = tasks.data;
  const visible = useMemo(() => (all && active ? all.filter(matches) : (all ?? [])), [all, active, matches]);

  return (
    <>
      <ProjectBar project={project.data} view="board" viewers={viewers} people={people} />
      <FilterBar filter={filter} members={members.data ?? []} summary={active && all ? `${visible.length} of ${all.length} tasks` : undefined} />
      {project.isPending || tasks.isPending ? (
        <Spinner label="Loading board" />
      ) : project.isError ? (
        <div className="empty">
          <h2>This project can't be opened</h2>
          <p>It may have been deleted, or you're not a member of its workspace.</p>
        </div>
      ) : (
        <Board project={project.data} tasks={visible} people={people} />
      )}
      {taskId && <TaskDrawer taskId={taskId} />}
    </>
  );
}
