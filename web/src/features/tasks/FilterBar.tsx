import { ListFilter, Search, X } from "lucide-react";
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import type { Member, Status } from "../../api/client";
import { useMe } from "../../api/queries";
import { PRIORITIES, PRIORITY_LABEL } from "../../components/ui";
import { useShortcuts } from "../../lib/shortcuts";
import { DUE_FILTERS, filterFromParams, isFiltering, matchesFilter, UNASSIGNED, withFilter, withoutFilters, type FilterParam, type TaskFilter } from "./filters";

/** The filter in the URL, and a predicate with the signed-in user and today's date bound. */
export function useTaskFilter() {
  const [params] = useSearchParams();
  const me = useMe();
  const key = params.toString();
  // Keyed by the query string: the same filter object until the URL's parameters change.
  const filter = useMemo(() => filterFromParams(new URLSearchParams(key)), [key]);
  const meId = me.data?.id;
  const matches = useMemo(() => {
    const ctx = { me: meId, today: new Date() };
    return (t: Parameters<typeof matchesFilter>[0]) => matchesFilter(t, filter, ctx);
  }, [filter, meId]);
  return { filter, active: isFiltering(filter), matches };
}

/** A text filter typed into the URL a quarter second after the last key, and following the URL back. */
function useDebouncedParam(key: FilterParam, urlValue: string, set: (key: FilterParam, value: string | null) => void, normalize = (v: string) => v.trim()) {
  const [text, setText] = useState(urlValue);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    // The URL changed from elsewhere (Clear, a saved filter, back): show it.
    setText((t) => (normalize(t) === urlValue ? t : urlValue));
  }, [urlValue]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onChange = (value: string) => {
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => set(key, normalize(value) || null), 250);
  };
  return [text, onChange] as const;
}

export interface FilterBarProps {
  filter: TaskFilter;
  members: Member[];
  /** The list filters by column; the board's columns already are its statuses. */
  statuses?: Status[];
  /** e.g. "3 of 12 tasks", announced politely when it changes. */
  summary?: string;
  children?: ReactNode;
}

/** Search and filters of a project's tasks, on the board and in the list alike. */
export function FilterBar({ filter, members, statuses, summary, children }: FilterBarProps) {
  const [params, setParams] = useSearchParams();
  const set = (key: FilterParam, value: string | null) => setParams((p) => withFilter(p, key, value), { replace: true });
  const [q, setQ] = useDebouncedParam("q", filter.q, set);
  // Labels are saved in lower case (the task drawer does it), so "Bug" finds "bug".
  const [label, setLabel] = useDebouncedParam("label", filter.label[0] ?? "", set, (v) => v.trim().toLowerCase());
  const search = useRef<HTMLInputElement>(null);
  useShortcuts([
    {
      keys: "/",
      description: "Search tasks",
      group: "Tasks",
      run: () => {
        search.current?.focus();
        search.current?.select();
      },
    },
  ]);
  const active = isFiltering(filter) || params.has("q");
  // On a phone the selects fold behind a "Filters" button, so the board starts near the top.
  const [unfolded, setUnfolded] = useState(false);
  const chosen = [filter.status.length, filter.assignee.length, filter.priority.length, filter.label.length, filter.due ? 1 : 0].filter(Boolean).length;

  return (
    <div className={`filters ${unfolded ? "is-unfolded" : ""}`} role="search" aria-label="Filter tasks" data-testid="filter-bar">
      <label className="filter-search">
        <Search size={15} className="filter-search-icon" aria-hidden />
        <input
          ref={search}
          className="input search"
          type="text"
          placeholder="Search title, description, key"
          aria-label="Search tasks"
          aria-keyshortcuts="/"
          value={q}
          maxLength={200}
          onChange={(e) => setQ(e.target.value)}
          // Esc leaves the field (keeping the text) so J/K work again.
          onKeyDown={(e) => e.key === "Escape" && e.currentTarget.blur()}
        />
      </label>
      <button className="btn sm mobile-only" aria-expanded={unfolded} aria-controls="filter-controls" onClick={() => setUnfolded((u) => !u)}>
        <ListFilter size={14} /> Filters{chosen > 0 ? ` (${chosen})` : ""}
      </button>
      <div className="filter-controls" id="filter-controls">
        {statuses && (
          <select className="select" aria-label="Status" value={filter.status[0] ?? ""} onChange={(e) => set("status", e.target.value || null)}>
            <option value="">Any status</option>
            {statuses.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
        <select className="select" aria-label="Assignee" value={filter.assignee[0] ?? ""} onChange={(e) => set("assignee", e.target.value || null)}>
          <option value="">Anyone</option>
          <option value="me">Assigned to me</option>
          <option value={UNASSIGNED}>Unassigned</option>
          {members.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.name}
            </option>
          ))}
        </select>
        <select className="select" aria-label="Priority" value={filter.priority[0] ?? ""} onChange={(e) => set("priority", e.target.value || null)}>
          <option value="">Any priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABEL[p]}
            </option>
          ))}
        </select>
        <input className="input filter-label" aria-label="Label" placeholder="Label" value={label} maxLength={50} onChange={(e) => setLabel(e.target.value)} />
        <select className="select" aria-label="Due" value={filter.due ?? ""} onChange={(e) => set("due", e.target.value || null)}>
          <option value="">Any due date</option>
          {DUE_FILTERS.map((d) => (
            <option key={d.value} value={d.value}>
              {d.label}
            </option>
          ))}
        </select>
        {children}
      </div>
      {active && (
        <button className="btn ghost sm" onClick={() => setParams((p) => withoutFilters(p), { replace: true })}>
          <X size={14} /> Clear
        </button>
      )}
      {summary && (
        <span className="small muted filter-summary" role="status" data-testid="filter-summary">
          {summary}
        </span>
      )}
    </div>
  );
}
