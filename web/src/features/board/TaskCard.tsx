import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { Calendar, CheckCircle2, ListTree } from "lucide-react";
import { memo, type KeyboardEvent } from "react";
import type { Task } from "../../api/client";
import { AvatarStack, colorFor, formatDue, PriorityIcon } from "../../components/ui";
import { plural } from "../../lib/plural";

export interface CardProps {
  task: Task;
  people: Map<string, string>;
  overlay?: boolean;
}

export const CardBody = memo(function CardBody({ task, people }: CardProps) {
  const due = task.due_date ? formatDue(task.due_date) : null;
  const assignees = task.assignee_ids.map((id) => ({ id, name: people.get(id) ?? "Member" }));
  const done = task.status_category === "done";
  return (
    <>
      <div className="card-top">
        <span className="task-key">{task.key}</span>
        <PriorityIcon p={task.priority} />
        <span className="spacer" />
        {done && <CheckCircle2 size={14} color="var(--cat-done)" aria-label="Done" />}
      </div>
      <div className="card-title" title={task.title}>
        {task.title}
      </div>
      {(task.labels.length > 0 || due || task.subtask_count > 0 || assignees.length > 0 || task.estimate) && (
        <div className="card-meta">
          {task.labels.slice(0, 3).map((l) => (
            <span key={l} className="chip label" style={{ ["--chip" as string]: colorFor(l) }}>
              {l}
            </span>
          ))}
          {due && (
            <span className={`due ${due.overdue && !done ? "overdue" : ""}`}>
              <Calendar size={12} aria-hidden /> {due.text}
            </span>
          )}
          {task.subtask_count > 0 && (
            <span className="due" title={plural(task.subtask_count, "subtask")}>
              <ListTree size={12} aria-hidden /> {task.subtask_count}
            </span>
          )}
          {task.estimate ? <span className="chip" title="Estimate">{task.estimate} pt</span> : null}
          <span className="spacer" />
          {assignees.length > 0 && <AvatarStack people={assignees} size="sm" />}
        </div>
      )}
    </>
  );
});

export function SortableCard({ task, people, onOpen, colId }: CardProps & { onOpen: (id: string) => void; colId: string }) {
  const temp = task.id.startsWith("temp-");
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: task.id, data: { colId }, disabled: temp });
  const style = { transform: CSS.Translate.toString(transform), transition };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Enter" && !isDragging) {
      e.preventDefault();
      onOpen(task.id);
      return;
    }
    listeners?.onKeyDown?.(e);
  };
  return (
    <div
      ref={setNodeRef}
      style={style}
      className={`card ${isDragging ? "is-dragging" : ""} ${task.status_category === "done" ? "is-done" : ""} ${temp ? "is-temp" : ""}`}
      data-card-id={task.id}
      data-col={colId}
      data-testid="card"
      data-task-nav=""
      {...attributes}
      {...listeners}
      onKeyDown={onKeyDown}
      onClick={() => !temp && onOpen(task.id)}
      aria-roledescription="Draggable task"
      aria-label={`${task.key} ${task.title}`}
    >
      <CardBody task={task} people={people} />
    </div>
  );
}
