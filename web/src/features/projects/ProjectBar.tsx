import { Kanban, Keyboard, List } from "lucide-react";
import { NavLink, useParams, useSearchParams } from "react-router";
import type { Project } from "../../api/client";
import { useMe } from "../../api/queries";
import { AvatarStack, colorFor } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { useMemo } from "react";
import { cheatSheet } from "../../components/KeyboardShortcuts";
import { searchForView } from "../tasks/filters";

export function ProjectBar({ project, view, viewers, people, children }: { project?: Project; view: "board" | "list"; viewers: string[]; people: Map<string, string>; children?: React.ReactNode }) {
  const { ws, pid } = useParams();
  const me = useMe();
  // Filters travel between the views (and the list's sort with them); the open task doesn't.
  const [params] = useSearchParams();
  const search = searchForView(params);
  const title = useMemo(
    () =>
      project ? (
        <span className="row" style={{ gap: 8 }}>
          <span className="project-dot" style={{ background: colorFor(project.id), width: 20, height: 20, borderRadius: 6, color: "white", fontSize: 9.5, display: "grid", placeItems: "center", fontWeight: 700 }}>
            {project.key.slice(0, 2)}
          </span>
          {project.name}
        </span>
      ) : null,
    [project],
  );
  useHeaderTitle(title);
  const others = viewers.filter((v) => v !== me.data?.id).map((id) => ({ id, name: people.get(id) ?? "Teammate" }));
  return (
    <div className="board-bar">
      <nav className="tabs" aria-label="Views">
        <NavLink to={{ pathname: `/w/${ws}/p/${pid}/board`, search }} className={view === "board" ? "active" : ""}>
          <Kanban size={15} /> Board
        </NavLink>
        <NavLink to={{ pathname: `/w/${ws}/p/${pid}/list`, search }} className={view === "list" ? "active" : ""}>
          <List size={15} /> List
        </NavLink>
      </nav>
      {project?.description && <span className="small muted hide-sm" style={{ maxWidth: 420, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>{project.description}</span>}
      <span className="spacer" />
      {others.length > 0 && (
        <span className="row small muted presence" data-testid="board-presence" title={others.map((o) => o.name).join(", ") + " viewing"}>
          <AvatarStack people={others} max={4} size="sm" />
          <span className="hide-sm">{others.length === 1 ? `${others[0].name} is here` : `${others.length} teammates here`}</span>
        </span>
      )}
      {children}
      <button className="btn ghost icon sm hide-sm" onClick={() => cheatSheet.set(true)} aria-label="Keyboard shortcuts" aria-keyshortcuts="?" title="Keyboard shortcuts (?)">
        <Keyboard size={16} />
      </button>
    </div>
  );
}
