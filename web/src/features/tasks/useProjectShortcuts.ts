import { useNavigate, useParams, useSearchParams } from "react-router";
import { moveFocus, useShortcuts } from "../../lib/shortcuts";
import { searchForView } from "./filters";

/** Marks a task's card (board) or row (list) as a stop for J/K. */
export const TASK_NAV_ATTR = "data-task-nav";
const TASK_NAV = `[${TASK_NAV_ATTR}]`;

/** The shortcuts of a project's board and list: create, J/K between tasks, G then B/L between the views. */
export function useProjectShortcuts({ onCreate }: { onCreate: () => void }) {
  const { ws, pid } = useParams();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const go = (view: "board" | "list") => navigate({ pathname: `/w/${ws}/p/${pid}/${view}`, search: searchForView(params) });
  useShortcuts([
    { keys: "c", description: "Create a task", group: "Tasks", run: onCreate },
    { keys: "j", description: "Focus the next task", group: "Tasks", run: () => moveFocus(TASK_NAV, 1) },
    { keys: "k", description: "Focus the previous task", group: "Tasks", run: () => moveFocus(TASK_NAV, -1) },
    { keys: "Enter", description: "Open the focused task", group: "Tasks" },
    { keys: "g b", description: "Go to the board", group: "Navigation", run: () => go("board") },
    { keys: "g l", description: "Go to the list", group: "Navigation", run: () => go("list") },
  ]);
}
