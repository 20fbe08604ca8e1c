import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { Task } from "../../api/client";
import { qk } from "../../api/queries";
import { makeTask, project, renderWithProviders, stubFetch } from "../../test/utils";
import { ConflictDialog } from "../tasks/ConflictDialog";
import { conflicts, useUpdateTask } from "../tasks/mutations";
import { Board } from "./BoardPage";

const people = new Map([["u1", "Ada Lovelace"]]);

describe("Board", () => {
  let tasks: Task[];
  beforeEach(() => {
    conflicts.set(null);
    tasks = [
      makeTask({ title: "Write copy", priority: "high", labels: ["design"], assignee_ids: ["u1"] }),
      makeTask({ title: "Ship it", status_id: "s-doing", status_category: "in_progress" }),
      makeTask({ title: "Old thing", status_id: "s-done", status_category: "done" }),
    ];
  });

  it("renders each column with its cards, counts and card details", () => {
    stubFetch({});
    renderWithProviders(<Board project={project} tasks={tasks} people={people} />);
    const cols = screen.getAllByTestId("column");
    expect(cols.map((c) => within(c).getByRole("heading").textContent)).toEqual(["To do", "In progress", "Done"]);
    const todo = cols[0];
    expect(within(todo).getByLabelText("1 task")).toBeInTheDocument();
    const card = within(todo).getByTestId("card");
    expect(card).toHaveTextContent("Write copy");
    expect(card).toHaveTextContent("design");
    expect(within(card).getByRole("img", { name: "Ada Lovelace" })).toBeInTheDocument();
    expect(within(card).getByTitle("High")).toBeInTheDocument();
    expect(within(cols[2]).getByTestId("card")).toHaveClass("is-done");
  });

  it("quick add shows the card at once and keeps the server's copy", async () => {
    const created = makeTask({ title: "Fresh idea", key: "LCH-99" });
    const calls = stubFetch({ "POST /api/v1/projects/{id}/tasks": () => [201, created] });
    const { qc } = renderWithProviders(<Board project={project} tasks={tasks} people={people} />);
    qc.setQueryData(qk.board("p1"), tasks);
    const todo = screen.getAllByTestId("column")[0];
    fireEvent.click(within(todo).getByRole("button", { name: "Add task to To do" }));
    const input = within(todo).getByLabelText("New task in To do");
    fireEvent.change(input, { target: { value: "Fresh idea" } });
    fireEvent.submit(input.closest("form")!);
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toMatchObject({ title: "Fresh idea", status_id: "s-todo" });
    expect(post.headers.get("X-Mutation-Id")).toMatch(/^web-/);
    await waitFor(() => expect(qc.getQueryData<Task[]>(qk.board("p1"))?.some((t) => t.key === "LCH-99")).toBe(true));
    expect(qc.getQueryData<Task[]>(qk.board("p1"))?.some((t) => t.id.startsWith("temp-"))).toBe(false);
  });

  it("a stale move rolls back, shows the server's task and opens the conflict dialog", async () => {
    const current = { ...tasks[0], title: "Renamed by Grace", version: 5 };
    const calls = stubFetch({ "PATCH /api/v1/tasks/{id}": () => [409, { error: { code: "version_conflict", message: "stale" }, current }] });
    let update: ReturnType<typeof useUpdateTask> | null = null;
    function Harness() {
      update = useUpdateTask();
      return <ConflictDialog />;
    }
    const { qc } = renderWithProviders(<Harness />);
    qc.setQueryData(qk.board("p1"), tasks);
    await act(async () => {
      update!.mutate({ task: tasks[0], patch: { status_id: "s-doing", position: 5 } });
    });
    await waitFor(() => expect(conflicts.get()).not.toBeNull());
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toMatchObject({ status_id: "s-doing", position: 5, version: 1 });
    // Rolled back to the column it was in, carrying the server's newer copy.
    const t0 = qc.getQueryData<Task[]>(qk.board("p1"))!.find((t) => t.id === tasks[0].id)!;
    expect(t0.status_id).toBe("s-todo");
    expect(t0.title).toBe("Renamed by Grace");
    const dialog = await screen.findByTestId("conflict-dialog");
    expect(dialog).toHaveTextContent("Someone changed LCH-");
    // Reapply sends my change again on top of the server's version.
    stubFetch({ "PATCH /api/v1/tasks/{id}": (body) => [200, { ...current, ...(body as object), version: 6 }] });
    fireEvent.click(within(dialog).getByRole("button", { name: "Reapply my change" }));
    await waitFor(() => expect(qc.getQueryData<Task[]>(qk.board("p1"))!.find((t) => t.id === tasks[0].id)!.version).toBe(6));
    expect(conflicts.get()).toBeNull();
  });

  it("any other error rolls back with a clear message", async () => {
    stubFetch({ "PATCH /api/v1/tasks/{id}": () => [403, { error: { code: "forbidden", message: "Not allowed" } }] });
    let update: ReturnType<typeof useUpdateTask> | null = null;
    function Harness() {
      update = useUpdateTask();
      return null;
    }
    const { qc } = renderWithProviders(<Harness />);
    qc.setQueryData(qk.board("p1"), tasks);
    await act(async () => {
      update!.mutate({ task: tasks[0], patch: { priority: "urgent" } });
    });
    await waitFor(() => expect(update!.isError).toBe(true));
    expect(qc.getQueryData<Task[]>(qk.board("p1"))![0].priority).toBe("high");
    expect(conflicts.get()).toBeNull();
  });
});
