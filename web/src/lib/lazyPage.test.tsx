import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { page } from "./lazyPage";

function Hello() {
  return <h1>Hello page</h1>;
}

describe("lazy route pages", () => {
  it("load their chunk when first rendered, not before", async () => {
    const load = vi.fn(() => Promise.resolve({ Hello }));
    const Page = page(load, "Hello", "/w/:ws/elsewhere");
    expect(load).not.toHaveBeenCalled();
    render(<Page />);
    expect(await screen.findByRole("heading", { name: "Hello page" })).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("start loading, and prefetch the page's reads, at once when the app opens on their route", async () => {
    window.history.pushState({}, "", "/w/ws-1/profile");
    const load = vi.fn(() => Promise.resolve({ Hello }));
    const prefetch = vi.fn();
    const Page = page(load, "Hello", "/w/:ws/profile", prefetch);
    expect(load).toHaveBeenCalledTimes(1);
    expect(prefetch).toHaveBeenCalledWith({ ws: "ws-1" });
    render(<Page />);
    expect(await screen.findByRole("heading", { name: "Hello page" })).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(1); // the render reuses the request already made
    window.history.pushState({}, "", "/");
  });

  it("say so and offer a reload when the chunk can't be fetched (e.g. a deploy removed it)", async () => {
    const Page = page(() => Promise.reject(new TypeError("Failed to fetch dynamically imported module")), "Hello");
    render(<Page />);
    expect(await screen.findByRole("alert")).toHaveTextContent("This page didn't load");
    expect(screen.getByRole("button", { name: "Reload" })).toBeInTheDocument();
  });
});
