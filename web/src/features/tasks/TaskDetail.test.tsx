import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Dialog } from "radix-ui";
import { beforeEach, describe, expect, it } from "vitest";
import type { Member, Task } from "../../api/client";
import { qk } from "../../api/queries";
import { makeTask, project, renderWithProviders, stubFetch } from "../../test/utils";
import { filterMembers, mentionHandle, mentionQuery, MentionTextarea } from "./Comments";
import { conflicts } from "./mutations";
import { keepOpenForFieldEscape, TaskDetail } from "./TaskDrawer";
import { useState } from "react";

const members: Member[] = [
  { user_id: "u1", name: "Ada Lovelace", email: "ada@example.com", role: "owner", joined_at: "2026-01-01T00:00:00Z" },
  { user_id: "u2", name: "Grace Hopper", email: "grace@example.com", role: "member", joined_at: "2026-01-01T00:00:00Z" },
];
const me = { id: "u1", email: "ada@example.com", name: "Ada Lovelace", timezone: "UTC", skip_weekends: false, leaderboard_opt_out: false, created_at: "2026-01-01T00:00:00Z" };

function common(extra: Parameters<typeof stubFetch>[0] = {}) {
  return stubFetch({
    "GET /api/v1/me": () => [200, me],
    "GET /api/v1/tasks/{id}/comments": () => [200, { items: [{ id: "c1", task_id: "t", author: { id: "u2", name: "Grace Hopper" }, body: "Ping @AdaLovelace, see `code @x`", mentions: [{ id: "u1", name: "Ada Lovelace" }], reactions: [{ emoji: "🎉", count: 2, reacted_by_me: true }], created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", edited_at: null }] }],
    "GET /api/v1/tasks/{id}/activity": () => [200, { items: [] }],
    "GET /api/v1/tasks/{id}/reactions": () => [200, []],
    "GET /api/v1/projects/{id}/tasks": () => [200, { items: [] }],
    "GET /api/v1/workspaces/{id}/scoring": () => [403, { error: { code: "forbidden", message: "no" } }],
    ...extra,
  });
}

function renderDetail(task: Task, onOpenChange?: (open: boolean) => void) {
  return renderWithProviders(
    <Dialog.Root open onOpenChange={onOpenChange}>
      <Dialog.Content aria-describedby={undefined} onEscapeKeyDown={keepOpenForFieldEscape}>
        <TaskDetail task={task} project={project} members={members} />
      </Dialog.Content>
    </Dialog.Root>,
  );
}

describe("Task detail", () => {
  beforeEach(() => conflicts.set(null));

  it("shows the fields and renders markdown without raw HTML or unsafe links", async () => {
    common();
    const task = makeTask({ title: "Hero copy", priority: "high", labels: ["design"], assignee_ids: ["u2"], description: "**Bold** move\n\n<script>window.hacked = 1</script><img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) [docs](https://example.com)" });
    renderDetail(task);
    expect(screen.getByTestId("task-title")).toHaveValue("Hero copy");
    expect(screen.getByLabelText("Priority")).toHaveValue("high");
    expect(screen.getByLabelText("Status")).toHaveValue("s-todo");
    expect(screen.getByRole("button", { name: "Assignees" })).toHaveTextContent("Grace Hopper");
    expect((await screen.findByText("Bold")).tagName).toBe("STRONG"); // the renderer is a lazy chunk
    expect(document.querySelector(".markdown script, .markdown img")).toBeNull();
    const unsafe = screen.getByText("click").closest("a")!;
    expect(unsafe.getAttribute("href") ?? "").not.toContain("javascript");
    expect(screen.getByText("docs").closest("a")).toHaveAttribute("rel", "noopener noreferrer nofollow");
    // Comments: mentions highlighted, not inside code; reactions shown.
    const comment = await screen.findByTestId("comment");
    expect(within(comment).getByText("@AdaLovelace")).toHaveClass("mention");
    expect(within(comment).getByText("code @x").tagName).toBe("CODE");
    expect(within(comment).getByRole("button", { name: /🎉 2, you reacted/ })).toHaveAttribute("aria-pressed", "true");
  });

  it("a title edit begun on an old version meets a 409 and opens the conflict dialog", async () => {
    const task = makeTask({ title: "Old title", version: 3 });
    const calls = common({ "PATCH /api/v1/tasks/{id}": () => [409, { error: { code: "version_conflict", message: "stale" }, current: { ...task, title: "Theirs", version: 4 } }] });
    const { qc } = renderDetail(task);
    qc.setQueryData(qk.task(task.id), task);
    const title = screen.getByTestId("task-title");
    fireEvent.focus(title);
    fireEvent.change(title, { target: { value: "Mine" } });
    await act(async () => {
      fireEvent.blur(title);
    });
    await waitFor(() => expect(conflicts.get()).not.toBeNull());
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ title: "Mine", version: 3 });
    expect(conflicts.get()!.current.title).toBe("Theirs");
    expect(conflicts.get()!.patch).toEqual({ title: "Mine" });
  });

  it("Escape in the title or the description editor keeps the drawer open and the typed text", async () => {
    const task = makeTask({ title: "Title", description: "Old", version: 5 });
    const calls = common({ "PATCH /api/v1/tasks/{id}": (body) => [200, { ...task, ...(body as object), version: 6 }] });
    const closed: boolean[] = [];
    const { qc } = renderDetail(task, (open) => closed.push(!open));
    qc.setQueryData(qk.task(task.id), task);
    const title = screen.getByTestId("task-title");
    fireEvent.focus(title);
    fireEvent.change(title, { target: { value: "Typo" } });
    fireEvent.keyDown(title, { key: "Escape" });
    expect(title).toHaveValue("Title"); // reverted
    fireEvent.click(screen.getByRole("button", { name: "Edit description" }));
    const editor = screen.getByLabelText("Description (markdown)");
    fireEvent.change(editor, { target: { value: "New details" } });
    await act(async () => {
      fireEvent.keyDown(editor, { key: "Escape" });
    });
    await waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ description: "New details", version: 5 }));
    expect(screen.queryByLabelText("Description (markdown)")).toBeNull();
    expect(closed).toEqual([]); // neither Escape closed the drawer
    fireEvent.keyDown(screen.getByTestId("task-title"), { key: "Escape" });
    expect(closed).toEqual([]);
  });

  it("completing sends the version and flips the button", async () => {
    const task = makeTask({ title: "Finish", version: 2 });
    const calls = common({ "POST /api/v1/tasks/{id}/complete": () => [200, { ...task, status_id: "s-done", status_category: "done", version: 3 }] });
    const { qc } = renderDetail(task);
    qc.setQueryData(qk.task(task.id), task);
    fireEvent.click(screen.getByTestId("complete-button"));
    await waitFor(() => expect(qc.getQueryData<Task>(qk.task(task.id))?.status_category).toBe("done"));
    expect(calls.find((c) => c.path.endsWith("/complete"))!.body).toEqual({ version: 2 });
  });
});

describe("@mentions", () => {
  it("finds the partial handle at the caret", () => {
    expect(mentionQuery("hi @Gra", 7)).toEqual({ start: 3, query: "Gra" });
    expect(mentionQuery("mail a@b.c", 10)).toBeNull();
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionHandle("Grace Hopper")).toBe("GraceHopper");
    expect(filterMembers(members, "gr").map((m) => m.name)).toEqual(["Grace Hopper"]);
    expect(filterMembers(members, "", "u1").map((m) => m.name)).toEqual(["Grace Hopper"]);
  });

  it("autocompletes a teammate with the keyboard", () => {
    function Box() {
      const [v, setV] = useState("");
      return <MentionTextarea value={v} onChange={setV} members={members} onSubmit={() => undefined} meId="u1" label="Write a comment" />;
    }
    renderWithProviders(<Box />);
    const input = screen.getByLabelText("Write a comment") as HTMLTextAreaElement;
    fireEvent.change(input, { target: { value: "Thanks @gr", selectionStart: 10 } });
    const option = screen.getByRole("option", { name: /Grace Hopper/ });
    expect(option).toHaveAttribute("aria-selected", "true");
    fireEvent.keyDown(input, { key: "Enter" });
    expect(input.value).toBe("Thanks @GraceHopper ");
  });
});
