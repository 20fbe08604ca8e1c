import { useQuery } from "@tanstack/react-query";
import { Bookmark, Plus } from "lucide-react";
import { useMemo, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { qk, useMembers, useProject } from "../../api/queries";
import { AvatarStack, colorFor, Empty, formatDue, PriorityIcon, Spinner } from "../../components/ui";
import { FilterBar, useTaskFilter } from "./FilterBar";
import { serverQuery } from "./filters";
import { NewTaskDialog } from "./NewTaskDialog";
import { useProjectShortcuts } from "./useProjectShortcuts";
import { useRoom } from "../../realtime/socket";
import { ProjectBar } from "../projects/ProjectBar";
import { TaskDrawer } from "./TaskDrawer";

const SORTS = [
  ["position", "Board order"],
  ["-updated_at", "Recently updated"],
  ["-created_at", "Newest"],
  ["due_date", "Due date"],
  ["-priority", "Priority"],
  ["number", "Key"],
] as const;
type Sort = (typeof SORTS)[number][0];

const SAVED_KEY = "mt.savedFilters";
interface SavedFilter {
  name: string;
  query: string;
}

function loadSaved(pid: string): SavedFilter[] {
  try {
    return JSON.parse(localStorage.getItem(`${SAVED_KEY}.${pid}`) ?? "[]") as SavedFilter[];
  } catch {
    return [];
  }
}

export function ListPage() {
  const { ws = "", pid = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const project = useProject(pid);
  const members = useMembers(ws);
  const viewers = useRoom(pid ? { project_id: pid } : null);
  const people = useMemo(() => new Map((members.data ?? []).map((m) => [m.user_id, m.name])), [members.data]);
  const [saved, setSaved] = useState(() => loadSaved(pid));
  const [creating, setCreating] = useState(false);
  useProjectShortcuts({ onCreate: () => setCreating(true) });

  const { filter, active, matches } = useTaskFilter();
  const sort = (params.get("sort") ?? "position") as Sort;
  const query = { ...serverQuery(filter), sort };
  const tasks = useQuery({
    queryKey: qk.list(pid, query),
    queryFn: () => unwrap(api.GET("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: pid }, query: { ...query, limit: 200 } } })),
    placeholderData: (prev) => prev,
  });

  const set = (key: string, value: string | null) =>
    setParams((p) => {
      p.delete(key);
      if (value) p.set(key, value);
      return p;
    }, { replace: true });
  const statuses = [...(project.data?.statuses ?? [])].sort((a, b) => a.position - b.position);
  const currentQuery = (() => {
    const p = new URLSearchParams(params);
    p.delete("task");
    return p.toString();
  })();
  const saveCurrent = () => {
    const name = prompt("Name this filter", "My filter");
    if (!name) return;
    const next = [...saved.filter((s) => s.name !== name), { name, query: currentQuery }];
    setSaved(next);
    localStorage.setItem(`${SAVED_KEY}.${pid}`, JSON.stringify(next));
  };
  // The server filtered what it can; "unassigned" and due dates are narrowed here, by the board's rules.
  const items = (tasks.data?.items ?? []).filter(matches);
  const taskId = params.get("task");

  return (
    <>
      <ProjectBar project={project.data} view="list" viewers={viewers} people={people}>
        <button className="btn primary sm" onClick={() => setCreating(true)} aria-keyshortcuts="c">
          <Plus size={14} /> New task
        </button>
      </ProjectBar>
      <FilterBar filter={filter} members={members.data ?? []} statuses={statuses}>
        <select className="select" aria-label="Sort" value={sort} onChange={(e) => set("sort", e.target.value === "position" ? null : e.target.value)}>
          {SORTS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        {active && (
          <button className="btn sm" onClick={saveCurrent}>
            <Bookmark size={14} /> Save filter
          </button>
        )}
        {saved.map((s) => (
          <button key={s.name} className={`chip ${currentQuery === s.query ? "label" : ""}`} style={{ cursor: "pointer" }} onClick={() => setParams(new URLSearchParams(s.query))}>
            <Bookmark size={11} /> {s.name}
          </button>
        ))}
      </FilterBar>
      <div className="table-wrap">
        {tasks.isPending ? (
          <Spinner />
        ) : items.length === 0 ? (
          <div className="panel">
            <Empty title={active ? "No tasks match these filters" : "No tasks yet"}>{active ? <p>Try removing a filter.</p> : <p>Press C or choose “New task” to add one.</p>}</Empty>
          </div>
        ) : (
          <table className="tasks" data-testid="task-table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col" className="hide-sm">Priority</th>
                <th scope="col" className="hide-sm">Assignees</th>
                <th scope="col" className="hide-sm">Due</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => {
                const st = statuses.find((s) => s.id === t.status_id);
                const due = t.due_date ? formatDue(t.due_date) : null;
                return (
                  <tr key={t.id} onClick={() => set("task", t.id)} tabIndex={0} data-task-nav="" onKeyDown={(e) => e.key === "Enter" && set("task", t.id)} aria-label={`${t.key} ${t.title}`}>
                    <td className="task-key">{t.key}</td>
                    <td className="list-title-cell">
                      <span className="list-title" title={t.title}>
                        {t.title}
                      </span>{" "}
                      {t.labels.map((l) => (
                        <span key={l} className="chip label hide-sm" style={{ ["--chip" as string]: colorFor(l), marginLeft: 4 }}>
                          {l}
                        </span>
                      ))}
                    </td>
                    <td>
                      <span className="row" style={{ gap: 6, whiteSpace: "nowrap" }}>
                        <span className={`cat-dot ${st?.category ?? ""}`} aria-hidden /> {st?.name}
                      </span>
                    </td>
                    <td className="hide-sm">
                      <PriorityIcon p={t.priority} withLabel />
                    </td>
                    <td className="hide-sm">
                      <AvatarStack people={t.assignee_ids.map((id) => ({ id, name: people.get(id) ?? "Member" }))} size="sm" />
                    </td>
                    <td className="hide-sm">{due ? <span className={`due ${due.overdue && t.status_category !== "done" ? "overdue" : ""}`}>{due.text}</span> : <span className="muted">—</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      {taskId && <TaskDrawer taskId={taskId} />}
      {creating && project.data && <NewTaskDialog projectId={project.data.id} onClose={() => setCreating(false)} onCreated={(id) => set("task", id)} />}
    </>
  );
}
