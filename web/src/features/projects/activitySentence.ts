import type { ActivityItem } from "../../api/client";
import { PRIORITY_LABEL } from "../../components/ui";
import { listInWords, plural } from "../../lib/plural";

/** The task a line is about: live (`id` set, linkable) or only remembered by the event (deleted). */
export interface TaskName {
  id: string | null;
  projectId: string | null;
  key: string;
  title: string;
}

/** One activity line as a whole sentence: `{who} {before} {task} {after}.` — the task (when there is one)
 * is its own part so the page can link it. */
export interface ActivityLine {
  before: string;
  task: TaskName | null;
  after: string;
}

type Change = { old?: unknown; new?: unknown };
type Payload = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);

/** "Dec 9" for an ISO date ("2026-12-09"), in the reader's locale, without a time-zone shift. */
export function shortDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

function taskOf(a: ActivityItem): TaskName | null {
  const p = a.payload as Payload;
  if (a.task) return { id: a.task.id, projectId: a.task.project_id, key: a.task.key, title: a.task.title };
  const key = str(p.key);
  const title = str(p.title);
  if (key || title) return { id: null, projectId: null, key: key ?? "", title: title ?? "" };
  return null;
}

/** What a field is called in a sentence ("the due date of …"). */
const FIELD_NAME: Record<string, string> = {
  title: "title",
  description: "description",
  priority: "priority",
  labels: "labels",
  due_date: "due date",
  estimate: "estimate",
  parent_id: "parent task",
  position: "position",
  assignee_ids: "assignees",
  status_id: "status",
};
const fieldName = (f: string) => FIELD_NAME[f] ?? f.replace(/_ids?$/, "").replace(/_/g, " ");

type Names = (userId: string) => string | undefined;

/** A single changed field as `[before, after]` around the task's name. */
function oneChange(field: string, c: Change, nameOf: Names): [string, string] {
  const ids = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const people = (list: string[]) => listInWords(list.map((id) => nameOf(id) ?? "a former member"));
  switch (field) {
    case "title":
      return ["renamed", str(c.old) ? ` (it was “${str(c.old)}”)` : ""];
    case "description":
      return ["edited the description of", ""];
    case "priority": {
      const p = str(c.new) as keyof typeof PRIORITY_LABEL | null;
      return !p || p === "none" ? ["removed the priority of", ""] : ["set the priority of", ` to ${PRIORITY_LABEL[p] ?? p}`];
    }
    case "due_date": {
      const due = str(c.new);
      if (!due) return ["removed the due date of", ""];
      return [str(c.old) ? "changed the due date of" : "set the due date of", ` to ${shortDate(due)}`];
    }
    case "estimate":
      return typeof c.new === "number" ? ["estimated", ` at ${plural(c.new, "point")}`] : ["removed the estimate of", ""];
    case "labels": {
      const labels = ids(c.new);
      return labels.length ? ["labelled", ` ${listInWords(labels.map((l) => `“${l}”`))}`] : ["removed the labels of", ""];
    }
    case "assignee_ids": {
      const before = new Set(ids(c.old));
      const after = ids(c.new);
      const added = after.filter((id) => !before.has(id));
      const removed = [...before].filter((id) => !after.includes(id));
      if (added.length && !removed.length) return [`assigned ${people(added)} to`, ""];
      if (removed.length && !added.length) return [`unassigned ${people(removed)} from`, ""];
      return after.length ? ["reassigned", ` to ${people(after)}`] : ["unassigned everyone from", ""];
    }
    case "parent_id":
      return str(c.new) ? ["made", " a subtask of another task"] : ["made", " a top-level task"];
    case "position":
      return ["reordered", ""];
    default:
      return [`changed the ${fieldName(field)} of`, ""];
  }
}

function updateLine(p: Payload, nameOf: Names): [string, string] {
  const changes = (p.changes ?? {}) as Record<string, Change>;
  const fields = (Array.isArray(p.fields) ? p.fields.map(String) : Object.keys(changes)).filter((f) => f !== "position" || Object.keys(changes).length === 1);
  if (fields.length === 1) return oneChange(fields[0], changes[fields[0]] ?? {}, nameOf);
  if (fields.length === 0) return ["edited", ""];
  return [`changed the ${listInWords(fields.map(fieldName))} of`, ""];
}

const SIMPLE: Record<string, string> = {
  "task.created": "created",
  "task.completed": "completed",
  "task.reopened": "reopened",
  "task.deleted": "deleted",
  "task.restored": "restored",
  "comment.created": "commented on",
  "comment.updated": "edited a comment on",
  "comment.deleted": "deleted a comment on",
  "comment.restored": "restored a comment on",
};

const NO_TASK: Record<string, string> = {
  "member.joined": "joined the workspace",
  "member.left": "left the workspace",
  "member.role_changed": "changed a member's role",
  "invite.accepted": "accepted an invitation",
  "workspace.created": "created the workspace",
  "workspace.updated": "changed the workspace settings",
  "xp.adjusted": "corrected an XP award",
  "xp.flagged": "flagged an XP award for review",
  "xp.flag_resolved": "resolved a review flag on an XP award",
  "user.updated": "updated their profile",
};

/** The sentence for one activity-log event. `nameOf` turns a member's id into their name. */
export function activityLine(a: ActivityItem, nameOf: Names = () => undefined): ActivityLine {
  const p = a.payload as Payload;
  const task = taskOf(a);
  const withTask = (before: string, after = ""): ActivityLine =>
    task ? { before, task, after } : { before: `${before} ${a.task_id ? "a task that was since deleted" : "a task"}`, task: null, after };
  if (a.type in SIMPLE) return withTask(SIMPLE[a.type]);
  switch (a.type) {
    case "task.moved":
      return withTask("moved", str(p.to_status_name) ? ` to ${str(p.to_status_name)}` : "");
    case "task.updated": {
      const [before, after] = updateLine(p, nameOf);
      return withTask(before, after);
    }
    case "mention.created": {
      const who = str(p.mentioned_user_id);
      return withTask(`mentioned ${(who && nameOf(who)) ?? "someone"} in a comment on`);
    }
    case "reaction.added":
    case "reaction.removed": {
      const emoji = str(p.emoji);
      const what = p.target_type === "comment" ? "a comment on" : "";
      const before = a.type === "reaction.added" ? ["reacted", emoji, "to", what] : ["took back", emoji ? `a ${emoji} reaction` : "a reaction", "to", what];
      return withTask(before.filter(Boolean).join(" "));
    }
    case "project.created":
    case "project.updated":
    case "project.deleted": {
      const name = str(p.name);
      const verb = a.type.endsWith("created") ? "created" : a.type.endsWith("deleted") ? "deleted" : "changed the settings of";
      return { before: name ? `${verb} the project ${name}` : `${verb} a project`, task: null, after: "" };
    }
  }
  if (a.type in NO_TASK) return { before: NO_TASK[a.type], task: null, after: "" };
  return task ? withTask("changed") : { before: "made a change", task: null, after: "" };
}

/** The task's name as a sentence shows it: "WEB-12 Fix login". */
export const taskLabel = (t: TaskName) => [t.key, t.title].filter(Boolean).join(" ");

/** The whole sentence as text (for tests, titles and screen readers). */
export function activityText(who: string, line: ActivityLine): string {
  const parts = [who, line.before, line.task ? taskLabel(line.task) : ""].filter(Boolean).join(" ");
  return `${parts}${line.after}.`;
}
