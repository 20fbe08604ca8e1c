import { Link } from "react-router";
import { taskLabel, type ActivityLine } from "./activitySentence";

/** Where a task opens: its board with the drawer on it. */
export const taskHref = (ws: string, projectId: string, taskId: string) => `/w/${ws}/p/${projectId}/board?task=${taskId}`;

/** An activity sentence with the task's name linked (unless it is gone, or it is the task on screen). */
export function ActivitySentence({ who, line, ws, here }: { who: string; line: ActivityLine; ws: string; here?: string }) {
  const t = line.task;
  const name = t && (t.id && t.projectId && t.id !== here ? <Link to={taskHref(ws, t.projectId, t.id)} className="activity-task">{taskLabel(t)}</Link> : <span className="activity-task">{taskLabel(t)}</span>);
  return (
    <span data-testid="activity-sentence">
      <b>{who}</b> {line.before}
      {name ? <> {name}</> : null}
      {line.after}.
    </span>
  );
}
