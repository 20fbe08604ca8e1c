import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { toast } from "sonner";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Comment, Member } from "../../api/client";
import { qk } from "../../api/queries";
import { renderWithProviders, stubFetch } from "../../test/utils";
import { Comments } from "./Comments";

const members: Member[] = [
  { user_id: "u1", name: "Ada Lovelace", email: "ada@example.com", role: "owner", joined_at: "2026-01-01T00:00:00Z" },
  { user_id: "u2", name: "Grace Hopper", email: "grace@example.com", role: "member", joined_at: "2026-01-01T00:00:00Z" },
];
const me = { id: "u1", email: "ada@example.com", name: "Ada Lovelace", timezone: "UTC", skip_weekends: false, leaderboard_opt_out: false, created_at: "2026-01-01T00:00:00Z" };

function comment(over: Partial<Comment>): Comment {
  return { id: "c", task_id: "t", author: { id: "u1", name: "Ada Lovelace" }, body: "", mentions: [], reactions: [], created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", edited_at: null, ...over };
}

/** Grace's comment and one of mine; PATCH edits the stored copy (as the server does) unless `patch` says otherwise. */
function serve(patch?: (body: unknown) => [number, unknown]) {
  const stored = [comment({ id: "c1", author: { id: "u2", name: "Grace Hopper" }, body: "Can someone review?" }), comment({ id: "c2", body: "I'll take it" })];
  const calls = stubFetch({
    "GET /api/v1/me": () => [200, me],
    "GET /api/v1/tasks/{id}/comments": () => [200, { items: stored }],
    "PATCH /api/v1/comments/{id}": (body, url) => {
      if (patch) return patch(body);
      const i = stored.findIndex((c) => url.pathname.endsWith(c.id));
      stored[i] = { ...stored[i], body: (body as { body: string }).body, edited_at: "2026-01-02T00:00:00Z", updated_at: "2026-01-02T00:00:00Z" };
      return [200, stored[i]];
    },
  });
  const utils = renderWithProviders(<Comments taskId="t" members={members} />);
  return { calls, stored, ...utils };
}

const mine = () => screen.getAllByTestId("comment")[1];

describe("Editing a comment", () => {
  afterEach(() => vi.restoreAllMocks());

  it("only your own comments have Edit, and it opens the comment in place with the caret at the end", async () => {
    serve();
    await screen.findByText("I'll take it");
    const [theirs, own] = screen.getAllByTestId("comment");
    expect(within(theirs).queryByRole("button", { name: "Edit comment" })).toBeNull();
    fireEvent.click(within(own).getByRole("button", { name: "Edit comment" }));
    const box = within(own).getByLabelText("Edit your comment") as HTMLTextAreaElement;
    expect(box).toHaveValue("I'll take it");
    expect(box).toHaveFocus();
    expect(box.selectionStart).toBe("I'll take it".length);
    // Edit and Delete make way for the editor; the composer is still there.
    expect(within(own).queryByRole("button", { name: "Delete comment" })).toBeNull();
    expect(screen.getByLabelText("Write a comment")).toBeInTheDocument();
  });

  it("Ctrl+Enter saves optimistically, then shows (edited); an empty body can't be saved", async () => {
    const { calls } = serve();
    await screen.findByText("I'll take it");
    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    const box = within(mine()).getByLabelText("Edit your comment");
    fireEvent.change(box, { target: { value: "   " } });
    expect(within(mine()).getByRole("button", { name: "Save" })).toBeDisabled();
    fireEvent.keyDown(box, { key: "Enter", ctrlKey: true });
    expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(0);

    fireEvent.change(box, { target: { value: "I'll take it, done by Friday" } });
    expect(within(mine()).getByRole("button", { name: "Save" })).toBeEnabled();
    fireEvent.keyDown(box, { key: "Enter", ctrlKey: true });
    // Before the server answers: the new text, the editor closed.
    expect(await within(mine()).findByText("I'll take it, done by Friday")).toBeInTheDocument();
    expect(within(mine()).queryByLabelText("Edit your comment")).toBeNull();
    expect(within(mine()).getByText("(edited)")).toBeInTheDocument();
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(1));
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.path).toBe("/api/v1/comments/c2");
    expect(patch.body).toEqual({ body: "I'll take it, done by Friday" });
    expect(patch.headers.get("X-Mutation-Id")).toBeTruthy(); // so our own comment.updated echo is ignored
    await waitFor(() => expect(within(mine()).getByRole("button", { name: "Edit comment" })).toHaveFocus());
    expect(within(screen.getAllByTestId("comment")[0]).queryByText("(edited)")).toBeNull();
  });

  it("Escape and Cancel leave the comment as it was, without a request", async () => {
    const { calls } = serve();
    await screen.findByText("I'll take it");
    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    fireEvent.change(within(mine()).getByLabelText("Edit your comment"), { target: { value: "never mind" } });
    fireEvent.keyDown(within(mine()).getByLabelText("Edit your comment"), { key: "Escape" });
    expect(within(mine()).queryByLabelText("Edit your comment")).toBeNull();
    expect(within(mine()).getByText("I'll take it")).toBeInTheDocument();

    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    fireEvent.change(within(mine()).getByLabelText("Edit your comment"), { target: { value: "never mind" } });
    fireEvent.click(within(mine()).getByRole("button", { name: "Cancel" }));
    expect(within(mine()).getByText("I'll take it")).toBeInTheDocument();
    // Saving the text unchanged is a no-op too.
    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    fireEvent.click(within(mine()).getByRole("button", { name: "Save" }));
    expect(within(mine()).queryByText("(edited)")).toBeNull();
    await act(async () => undefined);
    expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(0);
  });

  it("the edit box autocompletes @mentions", async () => {
    serve();
    await screen.findByText("I'll take it");
    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    const box = within(mine()).getByLabelText("Edit your comment") as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: "I'll take it @gr", selectionStart: 16 } });
    const option = screen.getByRole("option", { name: /Grace Hopper/ });
    expect(box).toHaveAttribute("aria-controls", option.closest("ul")!.id);
    fireEvent.keyDown(box, { key: "Enter" });
    expect(box.value).toBe("I'll take it @GraceHopper ");
    // Escape with the list open closes the list only, not the editor.
    fireEvent.change(box, { target: { value: "I'll take it @GraceHopper and @gr", selectionStart: 33 } });
    expect(screen.getByRole("option", { name: /Grace Hopper/ })).toBeInTheDocument();
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("option")).toBeNull();
    expect(within(mine()).getByLabelText("Edit your comment")).toBeInTheDocument();
  });

  it("a failed save rolls back, gives the text back and says why", async () => {
    const error = vi.spyOn(toast, "error").mockImplementation(() => "");
    const { qc } = serve(() => [500, { error: { code: "internal", message: "Database unavailable" } }]);
    await screen.findByText("I'll take it");
    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    fireEvent.change(within(mine()).getByLabelText("Edit your comment"), { target: { value: "Lost?" } });
    fireEvent.click(within(mine()).getByRole("button", { name: "Save" }));
    expect(await within(mine()).findByText("Lost?")).toBeInTheDocument();
    await waitFor(() => expect(error).toHaveBeenCalledWith("Couldn't save your edit: Database unavailable"));
    expect(qc.getQueryData<Comment[]>(qk.comments("t"))![1]).toMatchObject({ body: "I'll take it", edited_at: null });
    expect(within(mine()).getByLabelText("Edit your comment")).toHaveValue("Lost?");
    expect(within(mine()).queryByText("(edited)")).toBeNull();
  });

  it("editing a comment deleted meanwhile says so and drops the editor", async () => {
    const error = vi.spyOn(toast, "error").mockImplementation(() => "");
    serve(() => [404, { error: { code: "not_found", message: "Comment not found" } }]);
    await screen.findByText("I'll take it");
    fireEvent.click(within(mine()).getByRole("button", { name: "Edit comment" }));
    fireEvent.change(within(mine()).getByLabelText("Edit your comment"), { target: { value: "too late" } });
    fireEvent.click(within(mine()).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(error).toHaveBeenCalledWith("That comment was deleted, so your edit wasn't saved."));
    expect(screen.queryByLabelText("Edit your comment")).toBeNull();
  });
});
