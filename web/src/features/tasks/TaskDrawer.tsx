import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog, DropdownMenu, Popover } from "radix-ui";
import { Check, CheckCircle2, Link2, MoreHorizontal, RotateCcw, Trash2, X } from "lucide-react";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { toast } from "sonner";
import { api, errorMessage, unwrap, type Member, type Project, type Task } from "../../api/client";
import { qk, useMe, useMembers, useProject, useTask, useXpPreview } from "../../api/queries";
import { gamificationOn } from "../gamification/rewards";
import { Avatar, AvatarStack, colorFor, PRIORITIES, PRIORITY_LABEL, relativeTime } from "../../components/ui";
import { useRoom } from "../../realtime/socket";
import { activityLine } from "../projects/activitySentence";
import { ActivitySentence } from "../projects/ActivityLineView";
import { Comments, ReactionBar } from "./Comments";
import { Markdown } from "./LazyMarkdown";
import { useCreateTask, useDeleteTask, useToggleComplete, useUpdateTask } from "./mutations";
import { TitleLimit, titleTooLong } from "./TitleLimit";

/** Edit a text field against the version it started from: a stale save gets the conflict dialog. */
function useDraft(value: string, version: number) {
  const [draft, setDraft] = useState<string | null>(null);
  const [base, setBase] = useState(version);
  return {
    value: draft ?? value,
    editing: draft !== null,
    begin: () => {
      if (draft === null) {
        setDraft(value);
        setBase(version);
      }
    },
    change: (v: string) => setDraft(v),
    end: () => setDraft(null),
    base,
  };
}

function TitleField({ task }: { task: Task }) {
  const update = useUpdateTask();
  const d = useDraft(task.title, task.version);
  const tooLong = titleTooLong(d.value);
  const save = () => {
    if (tooLong) return; // keep the draft and its message: saving would be refused (422 on title)
    const v = d.value.trim();
    if (d.editing && v && v !== task.title) update.mutate({ task, patch: { title: v }, baseVersion: d.base });
    d.end();
  };
  return (
    <>
      <textarea
        className="task-title-input"
        rows={1}
        value={d.value}
        onFocus={d.begin}
        onChange={(e) => d.change(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            e.currentTarget.blur();
          }
          if (e.key === "Escape") {
            e.stopPropagation();
            d.end();
            e.currentTarget.blur();
          }
        }}
        aria-label="Title"
        aria-invalid={tooLong || undefined}
        aria-describedby="task-title-limit"
        data-testid="task-title"
        data-captures-escape="" // Escape reverts the title; it must not also close the drawer
        style={{ fieldSizing: "content" } as React.CSSProperties}
      />
      <TitleLimit length={d.value.trim().length} id="task-title-limit" />
    </>
  );
}

function DescriptionField({ task }: { task: Task }) {
  const update = useUpdateTask();
  const d = useDraft(task.description, task.version);
  const save = () => {
    if (d.value !== task.description) update.mutate({ task, patch: { description: d.value }, baseVersion: d.base });
    d.end();
  };
  if (d.editing)
    return (
      <div className="stack">
        <textarea
          className="textarea"
          value={d.value}
          onChange={(e) => d.change(e.target.value)}
          // Escape leaves the editor keeping what was typed (as Linear does) rather than closing the drawer
          // and dropping the draft; Ctrl/Cmd+Enter saves too; only Cancel discards.
          onKeyDown={(e) => {
            if (e.key === "Escape" || (e.key === "Enter" && (e.metaKey || e.ctrlKey))) {
              e.preventDefault();
              save();
            }
          }}
          data-captures-escape=""
          autoFocus
          rows={8}
          aria-label="Description (markdown)"
          placeholder="Add details, links, acceptance criteria… Markdown works."
        />
        <div className="row">
          <button className="btn primary sm" onClick={save}>
            Save
          </button>
          <button className="btn ghost sm" onClick={d.end}>
            Cancel
          </button>
        </div>
      </div>
    );
  return (
    <div className="description-view" role="button" tabIndex={0} onClick={d.begin} onKeyDown={(e) => e.key === "Enter" && d.begin()} aria-label="Edit description">
      {task.description ? <Markdown text={task.description} /> : <span className="muted">Add a description…</span>}
    </div>
  );
}

function AssigneesField({ task, members }: { task: Task; members: Member[] }) {
  const update = useUpdateTask();
  const chosen = task.assignee_ids;
  const toggle = (id: string) => update.mutate({ task, patch: { assignee_ids: chosen.includes(id) ? chosen.filter((x) => x !== id) : [...chosen, id] } });
  const people = chosen.map((id) => ({ id, name: members.find((m) => m.user_id === id)?.name ?? "Member" }));
  return (
    <Popover.Root>
      <Popover.Trigger asChild>
        <button className="btn ghost sm" style={{ justifyContent: "flex-start", marginLeft: -9 }} aria-label="Assignees">
          {people.length ? (
            <>
              <AvatarStack people={people} size="sm" /> {people.length === 1 ? people[0].name : `${people.length} people`}
            </>
          ) : (
            <span className="muted">Unassigned</span>
          )}
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content className="popover" style={{ width: 260, padding: 5 }} sideOffset={4} align="start" aria-label="Choose assignees">
          {members.map((m) => (
            <button key={m.user_id} className="menu-item" style={{ width: "100%", border: 0, background: "none", font: "inherit" }} onClick={() => toggle(m.user_id)} aria-pressed={chosen.includes(m.user_id)}>
              <Avatar id={m.user_id} name={m.name} size="sm" />
              <span style={{ flex: 1, textAlign: "left" }}>{m.name}</span>
              {chosen.includes(m.user_id) && <Check size={15} />}
            </button>
          ))}
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

function LabelsField({ task }: { task: Task }) {
  const update = useUpdateTask();
  const add = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const input = e.currentTarget.elements.namedItem("label") as HTMLInputElement;
    const v = input.value.trim().toLowerCase();
    if (v && !task.labels.includes(v)) update.mutate({ task, patch: { labels: [...task.labels, v] } });
    input.value = "";
  };
  return (
    <div className="row wrap" style={{ gap: 5 }}>
      {task.labels.map((l) => (
        <span key={l} className="chip label" style={{ ["--chip" as string]: colorFor(l) }}>
          {l}
          <button className="btn ghost icon" style={{ width: 16, height: 16, boxShadow: "none" }} aria-label={`Remove label ${l}`} onClick={() => update.mutate({ task, patch: { labels: task.labels.filter((x) => x !== l) } })}>
            <X size={11} />
          </button>
        </span>
      ))}
      <form onSubmit={add}>
        <input className="input" name="label" placeholder="+ label" aria-label="Add label" style={{ height: 26, width: 100, fontSize: 12.5 }} maxLength={50} />
      </form>
    </div>
  );
}

function Subtasks({ task, project }: { task: Task; project: Project }) {
  const [, setParams] = useSearchParams();
  const create = useCreateTask(project.id);
  const toggle = useToggleComplete();
  const qc = useQueryClient();
  const [subLength, setSubLength] = useState(0);
  const subtasks = useQuery({
    queryKey: qk.subtasks(task.id),
    queryFn: async () => (await unwrap(api.GET("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: project.id }, query: { parent_id: task.id, sort: "number", limit: 200 } } }))).items,
  });
  const list = subtasks.data ?? [];
  const done = list.filter((s) => s.status_category === "done").length;
  return (
    <div>
      {list.length > 0 && (
        <div className="row small muted" style={{ marginBottom: 6 }}>
          <div className="progress-thin" style={{ flex: 1 }}>
            <div style={{ width: `${(done / list.length) * 100}%` }} />
          </div>
          {done}/{list.length}
        </div>
      )}
      {list.map((s) => (
        <div className="subtask" key={s.id}>
          <button
            className={`check ${s.status_category === "done" ? "on" : ""}`}
            aria-label={s.status_category === "done" ? `Reopen ${s.title}` : `Complete ${s.title}`}
            onClick={() => toggle.mutate({ task: s }, { onSuccess: () => void qc.invalidateQueries({ queryKey: qk.subtasks(task.id) }) })}
          >
            {s.status_category === "done" && <Check size={12} strokeWidth={3} />}
          </button>
          <span className="task-key">{s.key}</span>
          <a href={`?task=${s.id}`} onClick={(e) => { e.preventDefault(); setParams((p) => { p.set("task", s.id); return p; }); }} style={{ color: "var(--text)", textDecoration: s.status_category === "done" ? "line-through" : undefined, flex: 1 }}>
            {s.title}
          </a>
        </div>
      ))}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem("sub") as HTMLInputElement;
          if (titleTooLong(input.value)) return; // the message beside the input says why
          setSubLength(0);
          if (input.value.trim()) create.mutate({ title: input.value.trim(), parent_id: task.id }, { onSuccess: () => void qc.invalidateQueries({ queryKey: qk.subtasks(task.id) }) });
          input.value = "";
        }}
      >
        <input className="input" name="sub" placeholder="+ Add a subtask" aria-label="Add a subtask" style={{ height: 32, marginTop: 4 }} onInput={(e) => setSubLength(e.currentTarget.value.trim().length)} />
        <TitleLimit length={subLength} />
      </form>
    </div>
  );
}

function TaskReactions({ task }: { task: Task }) {
  const qc = useQueryClient();
  const groups = useQuery({
    queryKey: qk.taskReactions(task.id),
    queryFn: () => unwrap(api.GET("/api/v1/tasks/{task_id}/reactions", { params: { path: { task_id: task.id } } })),
  });
  const react = useMutation({
    mutationFn: ({ emoji, mine }: { emoji: string; mine: boolean }) =>
      mine
        ? unwrap(api.DELETE("/api/v1/tasks/{task_id}/reactions/{emoji}", { params: { path: { task_id: task.id, emoji } } }))
        : unwrap(api.POST("/api/v1/tasks/{task_id}/reactions", { params: { path: { task_id: task.id } }, body: { emoji } })),
    onMutate: ({ emoji, mine }) => {
      const key = qk.taskReactions(task.id);
      const prev = qc.getQueryData<typeof groups.data>(key);
      qc.setQueryData<typeof groups.data>(key, (old) => {
        const list = old ?? [];
        const has = list.find((g) => g.emoji === emoji);
        if (!has) return [...list, { emoji, count: 1, user_ids: [], reacted_by_me: true }];
        return list.map((g) => (g.emoji === emoji ? { ...g, count: g.count + (mine ? -1 : 1), reacted_by_me: !mine } : g)).filter((g) => g.count > 0);
      });
      return { prev };
    },
    onError: (e, _v, ctx) => {
      qc.setQueryData(qk.taskReactions(task.id), ctx?.prev);
      toast.error(`Couldn't react: ${errorMessage(e)}`);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: qk.taskReactions(task.id) }),
  });
  return <ReactionBar groups={groups.data ?? []} label="task" onToggle={(emoji, mine) => react.mutate({ emoji, mine })} />;
}

function Activity({ taskId, ws, members }: { taskId: string; ws: string; members: Member[] }) {
  const activity = useQuery({
    queryKey: qk.taskActivity(taskId),
    queryFn: async () => (await unwrap(api.GET("/api/v1/tasks/{task_id}/activity", { params: { path: { task_id: taskId }, query: { limit: 30 } } }))).items,
  });
  return (
    <div>
      {(activity.data ?? []).map((a) => {
        const nameOf = (id: string) => members.find((m) => m.user_id === id)?.name;
        const who = a.actor ? (nameOf(a.actor.id) ?? a.actor.name) : "Someone";
        return (
          <div className="activity-item" key={a.id}>
            <span className="dot" />
            <span>
              <ActivitySentence who={who} line={activityLine(a, nameOf)} ws={ws} here={taskId} />{" "}
              <span className="muted small">{relativeTime(a.created_at)}</span>
            </span>
          </div>
        );
      })}
    </div>
  );
}

export function TaskDetail({ task, project, members }: { task: Task; project: Project; members: Member[] }) {
  const update = useUpdateTask();
  const toggle = useToggleComplete();
  const del = useDeleteTask();
  const me = useMe();
  const preview = useXpPreview(task, gamificationOn.current);
  const myPreview = preview.data?.awards.find((a) => a.user_id === me.data?.id);
  const [, setParams] = useSearchParams();
  const viewers = useRoom({ task_id: task.id });
  const others = viewers.filter((v) => v !== me.data?.id).map((id) => ({ id, name: members.find((m) => m.user_id === id)?.name ?? "Teammate" }));
  const statuses = useMemo(() => [...project.statuses].sort((a, b) => a.position - b.position), [project.statuses]);
  const done = task.status_category === "done";
  const close = () => setParams((p) => { p.delete("task"); return p; });

  return (
    <>
      <div className="drawer-head">
        <span className="task-key">{task.key}</span>
        {others.length > 0 && (
          <span className="row small muted presence" data-testid="task-presence" title={`${others.map((o) => o.name).join(", ")} viewing`}>
            <AvatarStack people={others} size="sm" /> <span className="hide-sm">viewing</span>
          </span>
        )}
        <span className="spacer" />
        <button className={`btn sm ${done ? "" : "primary"}`} onClick={() => toggle.mutate({ task })} disabled={toggle.isPending} data-testid="complete-button" title={!done && myPreview ? myPreview.explanation.summary ?? undefined : undefined}>
          {done ? <RotateCcw size={14} /> : <CheckCircle2 size={14} />} {done ? "Reopen" : "Complete"}
          {!done && myPreview && myPreview.xp > 0 ? <span className="xp-hint" data-testid="xp-preview">+{myPreview.xp} XP</span> : null}
        </button>
        <button
          className="btn ghost icon sm"
          aria-label="Copy link"
          onClick={() => {
            void navigator.clipboard?.writeText(location.href).then(() => toast.success("Link copied"), () => undefined);
          }}
        >
          <Link2 size={15} />
        </button>
        <DropdownMenu.Root>
          <DropdownMenu.Trigger asChild>
            <button className="btn ghost icon sm" aria-label="More actions">
              <MoreHorizontal size={15} />
            </button>
          </DropdownMenu.Trigger>
          <DropdownMenu.Portal>
            <DropdownMenu.Content className="menu" align="end" sideOffset={4} style={{ zIndex: 80 }}>
              <DropdownMenu.Item className="menu-item danger" onSelect={() => { del.mutate(task); close(); }}>
                <Trash2 size={14} /> Delete task
              </DropdownMenu.Item>
            </DropdownMenu.Content>
          </DropdownMenu.Portal>
        </DropdownMenu.Root>
        <Dialog.Close asChild>
          <button className="btn ghost icon sm" aria-label="Close">
            <X size={16} />
          </button>
        </Dialog.Close>
      </div>
      <div className="drawer-body">
        <Dialog.Title asChild>
          <div>
            <TitleField key={task.id} task={task} />
          </div>
        </Dialog.Title>
        <Dialog.Description className="sr-only">Task details for {task.key}</Dialog.Description>
        <div className="props">
          <label className="label" htmlFor="f-status">Status</label>
          <select id="f-status" className="select" value={task.status_id} onChange={(e) => {
            const to = statuses.find((s) => s.id === e.target.value);
            update.mutate({ task, patch: { status_id: e.target.value }, optimistic: to ? { status_category: to.category } : undefined, completes: to?.category === "done" && !done });
          }}>
            {statuses.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <label className="label" htmlFor="f-priority">Priority</label>
          <select id="f-priority" className="select" value={task.priority} onChange={(e) => update.mutate({ task, patch: { priority: e.target.value as Task["priority"] } })}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABEL[p]}
              </option>
            ))}
          </select>
          <span className="label">Assignees</span>
          <AssigneesField task={task} members={members} />
          <span className="label">Labels</span>
          <LabelsField task={task} />
          <label className="label" htmlFor="f-due">Due date</label>
          <input id="f-due" type="date" className="input" value={task.due_date ?? ""} onChange={(e) => update.mutate({ task, patch: { due_date: e.target.value || null } })} />
          <label className="label" htmlFor="f-estimate">Estimate</label>
          <input
            id="f-estimate"
            type="number"
            min={0}
            step={1}
            className="input"
            placeholder="points"
            defaultValue={task.estimate ?? ""}
            key={`est-${task.version}`}
            onBlur={(e) => {
              const v = e.target.value === "" ? null : Number(e.target.value);
              if (v !== task.estimate) update.mutate({ task, patch: { estimate: v } });
            }}
          />
        </div>
        <section className="section" aria-labelledby="desc-h">
          <div className="section-head">
            <h3 id="desc-h">Description</h3>
          </div>
          <DescriptionField key={task.id} task={task} />
          <TaskReactions task={task} />
        </section>
        {!task.parent_id && (
          <section className="section" aria-labelledby="sub-h">
            <div className="section-head">
              <h3 id="sub-h">Subtasks</h3>
            </div>
            <Subtasks task={task} project={project} />
          </section>
        )}
        <section className="section" aria-labelledby="com-h">
          <div className="section-head">
            <h3 id="com-h">Comments</h3>
          </div>
          <Comments taskId={task.id} members={members} />
        </section>
        <section className="section" aria-labelledby="act-h">
          <div className="section-head">
            <h3 id="act-h">Activity</h3>
            <span className="small muted">Created {relativeTime(task.created_at)}</span>
          </div>
          <Activity taskId={task.id} ws={task.workspace_id} members={members} />
        </section>
      </div>
    </>
  );
}

/** A field that handles Escape itself (the title, the description editor, an open @mention list, an inline
 * comment edit) keeps the drawer open. Radix listens for Escape on the document in the capture phase,
 * before the field's own handler, so fields mark themselves with `data-captures-escape`. */
export function keepOpenForFieldEscape(e: KeyboardEvent) {
  if (e.target instanceof Element && e.target.closest("[data-captures-escape]")) e.preventDefault();
}

/** Whether the last pointer press was on a toast. Radix reports a click outside the drawer only once the click
 * is over, when the element pressed may be gone (a toast button that swaps its label), so it is noted here, as
 * the press happens. */
let pressedOnToast = false;
if (typeof document !== "undefined")
  document.addEventListener("pointerdown", (e) => (pressedOnToast = e.target instanceof Element && !!e.target.closest("[data-sonner-toaster]")), true);

export function TaskDrawer({ taskId }: { taskId: string }) {
  const [, setParams] = useSearchParams();
  const task = useTask(taskId);
  const project = useProject(task.data?.project_id);
  const members = useMembers(task.data?.workspace_id);
  const close = () => setParams((p) => { p.delete("task"); return p; });
  useEffect(() => {
    if (task.isError) toast.error("That task no longer exists.");
  }, [task.isError]);
  return (
    <Dialog.Root open onOpenChange={(o) => !o && close()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay drawer-overlay" />
        <Dialog.Content
          className="drawer"
          data-testid="task-drawer"
          aria-describedby={undefined}
          // Focus the drawer itself, not its first button: an Enter right after opening must not complete the task.
          onOpenAutoFocus={(e) => {
            e.preventDefault();
            (e.currentTarget as HTMLElement).focus();
          }}
          onEscapeKeyDown={keepOpenForFieldEscape}
          // A click on a toast (a reward's breakdown, its dismiss button) is not a click away from the task.
          onInteractOutside={(e) => {
            if (pressedOnToast || (e.target instanceof Element && e.target.closest("[data-sonner-toaster]"))) e.preventDefault();
          }}
        >
          {task.data && project.data ? (
            <TaskDetail task={task.data} project={project.data} members={members.data ?? []} />
          ) : (
            <>
              <Dialog.Title className="sr-only">Task</Dialog.Title>
              <div className="drawer-head">
                <span className="spacer" />
                <Dialog.Close asChild>
                  <button className="btn ghost icon sm" aria-label="Close">
                    <X size={16} />
                  </button>
                </Dialog.Close>
              </div>
              <div className="empty">{task.isError ? "This task can't be found." : "Loading…"}</div>
            </>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
