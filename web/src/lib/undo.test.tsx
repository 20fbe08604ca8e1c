import { act, fireEvent, render, screen } from "@testing-library/react";
import { toast, Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { TitleLimit, TITLE_MAX, titleTooLong } from "../features/tasks/TitleLimit";
import { offerUndo } from "./undo";

describe("offerUndo", () => {
  beforeEach(() => {
    toast.dismiss(); // sonner keeps its toasts in a module-level store between tests
  });

  it("shows what was deleted with an Undo that restores it and says so", async () => {
    render(<Toaster />);
    const restore = vi.fn().mockResolvedValue(undefined);
    act(() => offerUndo("LCH-3 deleted", restore, "LCH-3 restored"));
    fireEvent.click(await screen.findByRole("button", { name: "Undo" }));
    expect(restore).toHaveBeenCalledOnce();
    expect(await screen.findByText("LCH-3 restored")).toBeInTheDocument();
  });

  it("says why an undo failed, in the server's words", async () => {
    render(<Toaster />);
    const closed = new ApiError(410, { error: { code: "restore_window_closed", message: "Too late to undo: a deleted task can be restored for 30 seconds", field: null } });
    act(() => offerUndo("LCH-4 deleted", () => Promise.reject(closed), "LCH-4 restored"));
    fireEvent.click(await screen.findByRole("button", { name: "Undo" }));
    expect(await screen.findByText(/Couldn't undo: Too late to undo/)).toBeInTheDocument();
  });
});

describe("TitleLimit", () => {
  it("stays quiet for ordinary titles, counts near the limit, and explains past it", () => {
    const { rerender, container } = render(<TitleLimit length={120} />);
    expect(container).toBeEmptyDOMElement();
    rerender(<TitleLimit length={480} />);
    expect(screen.getByTestId("title-limit")).toHaveTextContent(`480 / ${TITLE_MAX}`);
    expect(screen.queryByRole("alert")).toBeNull();
    rerender(<TitleLimit length={1200} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Titles can be up to 500 characters; this one has 1,200. Shorten it to save.");
    expect(titleTooLong("x".repeat(501))).toBe(true);
    expect(titleTooLong(` ${"x".repeat(500)} `)).toBe(false); // surrounding spaces are trimmed before saving
  });
});
