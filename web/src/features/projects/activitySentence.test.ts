import { describe, expect, it } from "vitest";
import type { ActivityItem } from "../../api/client";
import { activityLine, activityText, shortDate } from "./activitySentence";

const live = { id: "t1", key: "WEB-12", title: "Fix login", project_id: "p1" };

function item(type: string, payload: Record<string, unknown> = {}, task: ActivityItem["task"] = live): ActivityItem {
  return {
    id: 1,
    type,
    actor: { id: "u1", name: "Dana" },
    subject_type: "task",
    subject_id: "t1",
    project_id: "p1",
    task_id: task ? task.id : null,
    task,
    payload,
    created_at: new Date().toISOString(),
  };
}

const names: Record<string, string> = { u2: "Bo", u3: "Cy" };
const say = (a: ActivityItem) => activityText("Dana", activityLine(a, (id) => names[id]));

describe("activity sentences", () => {
  it("names the task on comments, which carry no title themselves", () => {
    expect(say(item("comment.created", { excerpt: "On it" }))).toBe("Dana commented on WEB-12 Fix login.");
    expect(say(item("reaction.added", { emoji: "👍", target_type: "comment" }))).toBe("Dana reacted 👍 to a comment on WEB-12 Fix login.");
    expect(say(item("mention.created", { mentioned_user_id: "u2" }))).toBe("Dana mentioned Bo in a comment on WEB-12 Fix login.");
  });

  it("says what changed, never the field's name", () => {
    const due = item("task.updated", { fields: ["due_date"], changes: { due_date: { old: "2026-12-01", new: "2026-12-09" } } });
    expect(say(due)).toBe(`Dana changed the due date of WEB-12 Fix login to ${shortDate("2026-12-09")}.`);
    expect(say(item("task.updated", { fields: ["due_date"], changes: { due_date: { old: null, new: "2026-12-09" } } }))).toMatch(/^Dana set the due date of WEB-12 Fix login to /);
    expect(say(item("task.updated", { fields: ["due_date"], changes: { due_date: { old: "2026-12-09", new: null } } }))).toBe("Dana removed the due date of WEB-12 Fix login.");
    expect(say(item("task.updated", { fields: ["priority"], changes: { priority: { old: "low", new: "high" } } }))).toBe("Dana set the priority of WEB-12 Fix login to High.");
    expect(say(item("task.updated", { fields: ["assignee_ids"], changes: { assignee_ids: { old: [], new: ["u2"] } } }))).toBe("Dana assigned Bo to WEB-12 Fix login.");
    expect(say(item("task.updated", { fields: ["estimate"], changes: { estimate: { old: null, new: 1 } } }))).toBe("Dana estimated WEB-12 Fix login at 1 point.");
    expect(say(item("task.updated", { fields: ["title"], changes: { title: { old: "Login", new: "Fix login" } } }))).toBe("Dana renamed WEB-12 Fix login (it was “Login”).");
    expect(say(item("task.updated", { fields: ["due_date", "priority", "description"], changes: {} }))).toBe("Dana changed the due date, priority and description of WEB-12 Fix login.");
    for (const text of [say(item("task.updated", { fields: ["parent_id"], changes: { parent_id: { old: null, new: "x" } } })), say(item("task.updated", { fields: ["labels"], changes: { labels: { old: [], new: ["bug"] } } }))]) {
      expect(text).not.toMatch(/_id|_date|\bids?\b/);
      expect(text).toMatch(/WEB-12 Fix login/);
    }
  });

  it("moves name the column", () => {
    expect(say(item("task.moved", { key: "WEB-12", title: "Fix login", to_status_name: "Review" }))).toBe("Dana moved WEB-12 Fix login to Review.");
  });

  it("uses the name the event kept once the task is deleted, and says so when there is none", () => {
    expect(say(item("task.deleted", { key: "WEB-3", title: "Old idea" }, null))).toBe("Dana deleted WEB-3 Old idea.");
    const orphan = { ...item("comment.created", {}, null), task_id: "gone" };
    expect(say(orphan)).toBe("Dana commented on a task that was since deleted.");
  });

  it("lines without a task are whole sentences too", () => {
    expect(say(item("member.joined", {}, null))).toBe("Dana joined the workspace.");
    expect(say(item("project.created", { name: "Website", key: "WEB" }, null))).toBe("Dana created the project Website.");
    expect(say(item("something.new", {}, null))).toBe("Dana made a change.");
  });
});
