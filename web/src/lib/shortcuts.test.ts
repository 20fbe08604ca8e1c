import { afterEach, describe, expect, it, vi } from "vitest";
import { createShortcutRegistry, isTypingTarget, listenForShortcuts, moveFocus, SEQUENCE_MS, type KeyInput } from "./shortcuts";

const press = (key: string, extra: Partial<KeyInput> = {}): KeyInput => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  defaultPrevented: false,
  target: document.body,
  timeStamp: 0,
  ...extra,
});

afterEach(() => {
  document.body.innerHTML = "";
});

describe("shortcut registry", () => {
  it("runs a single key, case-insensitively, and lists what is registered", () => {
    const r = createShortcutRegistry();
    const create = vi.fn();
    r.register([{ keys: "c", description: "Create a task", group: "Tasks", run: create }]);
    expect(r.handle(press("C"))).toBe(true);
    expect(create).toHaveBeenCalledTimes(1);
    expect(r.handle(press("x"))).toBe(false);
    expect(r.list().map((s) => s.keys)).toEqual(["c"]);
  });

  it("ignores keys typed into fields and keys with Ctrl, Cmd or Alt", () => {
    const r = createShortcutRegistry();
    const run = vi.fn();
    r.register([{ keys: "/", description: "Search", group: "Tasks", run }]);
    document.body.innerHTML = `<input id="i"><textarea id="t"></textarea><select id="s"></select><div contenteditable="true"><b id="e">x</b></div><div role="dialog"><button id="d">x</button></div>`;
    for (const id of ["i", "t", "s", "e", "d"]) expect(r.handle(press("/", { target: document.getElementById(id) }))).toBe(false);
    expect(r.handle(press("/", { ctrlKey: true }))).toBe(false);
    expect(r.handle(press("/", { metaKey: true }))).toBe(false);
    expect(r.handle(press("/", { altKey: true }))).toBe(false);
    expect(r.handle(press("/", { defaultPrevented: true }))).toBe(false);
    expect(run).not.toHaveBeenCalled();
    expect(r.handle(press("/"))).toBe(true);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("runs a two-key sequence only when the second key comes in time", () => {
    const r = createShortcutRegistry();
    const board = vi.fn();
    const list = vi.fn();
    r.register([
      { keys: "g b", description: "Board", group: "Navigation", run: board },
      { keys: "g l", description: "List", group: "Navigation", run: list },
    ]);
    expect(r.handle(press("g", { timeStamp: 1000 }))).toBe(true);
    expect(r.handle(press("Shift", { timeStamp: 1100 }))).toBe(false); // a modifier alone keeps the sequence
    expect(r.handle(press("b", { timeStamp: 1200 }))).toBe(true);
    expect(board).toHaveBeenCalledTimes(1);
    expect(r.handle(press("l", { timeStamp: 1300 }))).toBe(false); // the sequence is spent
    r.handle(press("g", { timeStamp: 5000 }));
    expect(r.handle(press("l", { timeStamp: 5000 + SEQUENCE_MS + 1 }))).toBe(false);
    expect(list).not.toHaveBeenCalled();
  });

  it("lets the latest registration own a key until it unregisters; documented keys never run", () => {
    const r = createShortcutRegistry();
    const outer = vi.fn();
    const inner = vi.fn();
    r.register([{ keys: "c", description: "Outer", group: "Tasks", run: outer }, { keys: "Escape", description: "Close", group: "General" }]);
    const off = r.register([{ keys: "c", description: "Inner", group: "Tasks", run: inner }]);
    r.handle(press("c"));
    expect(inner).toHaveBeenCalledTimes(1);
    expect(r.list().find((s) => s.keys === "c")?.description).toBe("Inner");
    off();
    r.handle(press("c"));
    expect(outer).toHaveBeenCalledTimes(1);
    expect(r.handle(press("Escape"))).toBe(false);
  });

  it("listens on the document and prevents the default of what it handled", () => {
    const r = createShortcutRegistry();
    const run = vi.fn();
    r.register([{ keys: "?", description: "Help", group: "General", run }]);
    const stop = listenForShortcuts(r);
    const handled = new KeyboardEvent("keydown", { key: "?", shiftKey: true, bubbles: true, cancelable: true });
    document.body.dispatchEvent(handled);
    expect(run).toHaveBeenCalledTimes(1);
    expect(handled.defaultPrevented).toBe(true);
    stop();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "?", bubbles: true }));
    expect(run).toHaveBeenCalledTimes(1);
  });
});

describe("typing targets and focus moves", () => {
  it("knows fields from other elements", () => {
    document.body.innerHTML = `<input id="i"><button id="b">x</button><div contenteditable="false" id="n">x</div>`;
    expect(isTypingTarget(document.getElementById("i"))).toBe(true);
    expect(isTypingTarget(document.getElementById("b"))).toBe(false);
    expect(isTypingTarget(document.getElementById("n"))).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });

  it("moves focus forward and back between items, stopping at the ends", () => {
    document.body.innerHTML = `<div data-nav tabindex="0" id="a"></div><div data-nav tabindex="0" id="b"></div><div data-nav tabindex="0" id="c"></div>`;
    expect(moveFocus("[data-nav]", 1)?.id).toBe("a");
    expect(moveFocus("[data-nav]", 1)?.id).toBe("b");
    expect(moveFocus("[data-nav]", 1)?.id).toBe("c");
    expect(moveFocus("[data-nav]", 1)?.id).toBe("c");
    expect(moveFocus("[data-nav]", -1)?.id).toBe("b");
    expect(document.activeElement?.id).toBe("b");
  });
});
