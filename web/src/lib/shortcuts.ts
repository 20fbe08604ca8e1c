import { useEffect, useRef, useSyncExternalStore } from "react";

/**
 * The app's keyboard shortcuts, in one place: components register what they offer while they are
 * mounted, one document listener dispatches, and the "?" cheat sheet lists what is registered.
 *
 * Keys are written as `e.key` lower-cased ("c", "/", "?"), a sequence as two keys with a space
 * ("g b": G, then B within a second and a half). A shortcut never fires while the person is typing
 * (input, textarea, select, contenteditable), with Ctrl, Cmd or Alt held (those belong to the browser
 * and to the command palette), inside an open dialog or menu (they own their keys), or when the
 * focused element already handled the key.
 */
export interface Shortcut {
  keys: string;
  description: string;
  group: ShortcutGroup;
  /** Absent: the key is handled where it applies (Enter on a card, Esc in a dialog); listed for the cheat sheet only. */
  run?: () => void;
}

export type ShortcutGroup = "General" | "Navigation" | "Tasks";
export const SHORTCUT_GROUPS: ShortcutGroup[] = ["General", "Navigation", "Tasks"];

/** How long the second key of a sequence ("g b") may wait for. */
export const SEQUENCE_MS = 1500;

/** The parts of a KeyboardEvent the registry reads (a plain object in unit tests). */
export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  defaultPrevented: boolean;
  target: EventTarget | null;
  timeStamp: number;
}

const TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
// Open dialogs and menus own their keys (Esc, arrows, type-ahead); the page's shortcuts wait until they close.
const OWNS_KEYS = "[role='dialog'], [role='alertdialog'], [role='menu'], [role='listbox']";

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || !(target instanceof Element)) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return true;
  return !!target.closest(TYPING);
}

function insideKeyOwner(target: EventTarget | null): boolean {
  return target instanceof Element && !!target.closest(OWNS_KEYS);
}

export function normalizeKey(key: string): string {
  return key.length === 1 ? key.toLowerCase() : key;
}

export function createShortcutRegistry() {
  let entries: { id: number; shortcuts: Shortcut[] }[] = [];
  let nextId = 0;
  let pending: { key: string; at: number } | null = null;
  let snapshot: Shortcut[] = [];
  const listeners = new Set<() => void>();

  const changed = () => {
    // Later registrations win a key (a page's "c" over a layout's), and each key is listed once.
    const byKeys = new Map<string, Shortcut>();
    for (const e of entries) for (const s of e.shortcuts) byKeys.set(s.keys, s);
    snapshot = [...byKeys.values()];
    listeners.forEach((l) => l());
  };
  const find = (keys: string) => snapshot.find((s) => s.keys === keys && s.run);

  return {
    /** Adds shortcuts until the returned function is called. */
    register(shortcuts: Shortcut[]): () => void {
      const id = nextId++;
      entries = [...entries, { id, shortcuts }];
      changed();
      return () => {
        entries = entries.filter((e) => e.id !== id);
        changed();
      };
    },
    list: (): Shortcut[] => snapshot,
    subscribe(l: () => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    /** Runs the shortcut the key completes; true when one ran (the caller then prevents the default). */
    handle(e: KeyInput): boolean {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return false;
      if (isTypingTarget(e.target) || insideKeyOwner(e.target)) return false;
      const key = normalizeKey(e.key);
      if (key === "Shift") return false;
      const first = pending && e.timeStamp - pending.at <= SEQUENCE_MS ? pending.key : null;
      pending = null;
      const shortcut = (first && find(`${first} ${key}`)) || find(key);
      if (shortcut) {
        shortcut.run!();
        return true;
      }
      if (snapshot.some((s) => s.run && s.keys.startsWith(`${key} `))) {
        pending = { key, at: e.timeStamp };
        return true;
      }
      return false;
    },
  };
}

export type ShortcutRegistry = ReturnType<typeof createShortcutRegistry>;

/** The app's registry. */
export const shortcuts = createShortcutRegistry();

/** The one document listener; returns its removal. */
export function listenForShortcuts(registry: ShortcutRegistry = shortcuts, doc: Document = document): () => void {
  const onKeyDown = (e: KeyboardEvent) => {
    if (registry.handle(e)) e.preventDefault();
  };
  doc.addEventListener("keydown", onKeyDown);
  return () => doc.removeEventListener("keydown", onKeyDown);
}

/** Registers shortcuts while the component is mounted; `run` always calls the latest closure. */
export function useShortcuts(list: Shortcut[], registry: ShortcutRegistry = shortcuts) {
  const latest = useRef(list);
  latest.current = list;
  // Re-register only when the set of keys changes, not on every render.
  const signature = list.map((s) => `${s.keys}|${s.description}|${s.group}|${s.run ? 1 : 0}`).join("\n");
  useEffect(() => {
    const stable = latest.current.map((s, i) => ({
      ...s,
      run: s.run ? () => latest.current[i]?.run?.() : undefined,
    }));
    return registry.register(stable);
  }, [signature, registry]);
}

export function useRegisteredShortcuts(registry: ShortcutRegistry = shortcuts): Shortcut[] {
  return useSyncExternalStore(registry.subscribe, registry.list, registry.list);
}

/** Moves focus to the next (1) or previous (-1) element matching `selector`, from the focused one. */
export function moveFocus(selector: string, step: 1 | -1, root: ParentNode = document): HTMLElement | null {
  const items = [...root.querySelectorAll<HTMLElement>(selector)];
  if (items.length === 0) return null;
  const active = document.activeElement;
  const current = items.findIndex((el) => el === active || (active instanceof Node && el.contains(active)));
  const index = current === -1 ? (step === 1 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, current + step));
  const el = items[index];
  el.focus();
  el.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  return el;
}
