import { createStore } from "../../lib/store";
import type { RealtimeEvent } from "../../realtime/socket";
import { isReviewKind, reviewText } from "../corrections/live";

export interface AppNotification {
  id: string;
  kind: string;
  at: string;
  actor_id: string | null;
  workspace_id: string | null;
  project_id: string | null;
  task_id: string | null;
  comment_id: string | null;
  /** Reviews of XP awards: whose award, and the line to show. */
  award_user_id?: string | null;
  text?: string;
  read: boolean;
}

const KEY = "mt.notifications";
let owner = "";

function load(user: string): AppNotification[] {
  try {
    const raw = localStorage.getItem(`${KEY}.${user}`);
    return raw ? (JSON.parse(raw) as AppNotification[]) : [];
  } catch {
    return [];
  }
}

const store = createStore<AppNotification[]>([]);

function save() {
  if (!owner) return;
  try {
    localStorage.setItem(`${KEY}.${owner}`, JSON.stringify(store.get().slice(0, 50)));
  } catch {
    /* storage full or blocked: keep them in memory */
  }
}

/** Mentions arrive live over the socket; the list is kept per user in this browser. */
export const notifications = {
  use: store.use,
  get: store.get,
  forUser(user: string) {
    if (owner === user) return;
    owner = user;
    store.set(load(user));
  },
  add(ev: RealtimeEvent) {
    const id = String(ev.seq);
    if (store.get().some((n) => n.id === id)) return;
    const d = ev.data ?? {};
    store.set((list) =>
      [
        {
          id,
          kind: ev.kind ?? "mention",
          at: ev.at,
          actor_id: ev.actor_id,
          workspace_id: ev.workspace_id,
          project_id: ev.project_id,
          task_id: ev.task_id ?? (typeof d.task_id === "string" ? d.task_id : null),
          comment_id: typeof d.comment_id === "string" ? d.comment_id : null,
          ...(isReviewKind(ev.kind) ? { award_user_id: String(d.award_user_id ?? d.user_id ?? ""), text: reviewText(ev.kind!, d, owner) } : {}),
          read: false,
        },
        ...list,
      ].slice(0, 50),
    );
    save();
  },
  markRead(id?: string) {
    store.set((list) => list.map((n) => (id === undefined || n.id === id ? { ...n, read: true } : n)));
    save();
  },
  clear() {
    store.set([]);
    save();
  },
};
