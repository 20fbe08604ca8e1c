import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import { api, isOwnMutation, unwrap, type Task } from "../api/client";
import { qk, removeTask, upsertTask } from "../api/queries";
import { createStore } from "../lib/store";
import { notifications } from "../features/notifications/store";
import { onAchievementUnlocked, onLevelUp, onXpAwarded } from "../features/gamification/rewards";
import { onReviewNotification } from "../features/corrections/live";

/** The envelope every entity event carries (docs/REALTIME.md). */
export interface RealtimeEvent {
  type: string;
  change?: string;
  seq: number;
  at: string;
  mutation_id: string | null;
  version: number | null;
  actor_id: string | null;
  workspace_id: string | null;
  project_id: string | null;
  task_id: string | null;
  subject: { type: string; id: string };
  kind?: string;
  data: Record<string, unknown>;
}

export type ConnectionState = "connecting" | "online" | "offline";
export const connection = createStore<ConnectionState>("connecting");

type Room = { project_id: string } | { task_id: string };
const roomKey = (r: Room) => ("project_id" in r ? `project:${r.project_id}` : `task:${r.task_id}`);

/** Who is viewing a room (user ids), from join acks and `presence` events. */
export const presence = createStore<Record<string, string[]>>({});

const SocketContext = createContext<Socket | null>(null);

async function refreshTask(qc: QueryClient, ev: RealtimeEvent) {
  const id = ev.task_id ?? ev.subject.id;
  const cached = qc.getQueryData<Task>(qk.task(id));
  const board = ev.project_id ? qc.getQueryData<Task[]>(qk.board(ev.project_id)) : undefined;
  const known = cached?.version ?? board?.find((t) => t.id === id)?.version;
  if (ev.version != null && known != null && known >= ev.version) return; // we already show this or newer
  try {
    const task = await unwrap(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } } }));
    upsertTask(qc, task);
  } catch {
    /* deleted meanwhile: task.deleted will follow */
  }
}

function handleEntityEvent(qc: QueryClient, name: string, ev: RealtimeEvent) {
  if (isOwnMutation(ev.mutation_id)) return; // our own echo: the mutation already updated the cache
  const taskId = ev.task_id;
  switch (name) {
    case "task.created":
    case "task.updated":
      void refreshTask(qc, ev);
      if (taskId && name === "task.updated") qc.invalidateQueries({ queryKey: qk.taskActivity(taskId) });
      break;
    case "task.deleted":
      if (ev.project_id && taskId) removeTask(qc, ev.project_id, taskId);
      break;
    case "task.restored":
      // An undone delete: the whole board refetches, since the task's subtasks moved back under it.
      if (ev.project_id) qc.invalidateQueries({ queryKey: qk.board(ev.project_id) });
      void refreshTask(qc, ev);
      break;
    case "comment.restored":
      if (taskId) qc.invalidateQueries({ queryKey: qk.comments(taskId) });
      break;
    case "comment.created":
    case "comment.updated":
    case "comment.deleted":
    case "reaction.added":
    case "reaction.removed":
      if (taskId) {
        qc.invalidateQueries({ queryKey: qk.comments(taskId) });
        qc.invalidateQueries({ queryKey: qk.taskReactions(taskId) });
        qc.invalidateQueries({ queryKey: qk.taskActivity(taskId) });
      }
      break;
    case "member.joined":
    case "member.left":
    case "member.role_changed":
      if (ev.workspace_id) qc.invalidateQueries({ queryKey: qk.members(ev.workspace_id) });
      qc.invalidateQueries({ queryKey: qk.workspaces });
      break;
    case "workspace.updated":
      qc.invalidateQueries({ queryKey: qk.workspaces });
      break;
    case "project.created":
    case "project.updated":
    case "project.deleted":
      if (ev.workspace_id) qc.invalidateQueries({ queryKey: qk.projects(ev.workspace_id) });
      if (ev.project_id) qc.invalidateQueries({ queryKey: qk.project(ev.project_id) });
      // A column deleted (or its delete undone) moves its tasks without a task event each: refetch the board.
      if (ev.project_id && Array.isArray(ev.data.fields) && ev.data.fields.includes("statuses")) {
        qc.invalidateQueries({ queryKey: qk.board(ev.project_id) });
      }
      break;
  }
}

const ENTITY_EVENTS = [
  "task.created",
  "task.updated",
  "task.deleted",
  "task.restored",
  "comment.created",
  "comment.updated",
  "comment.deleted",
  "comment.restored",
  "reaction.added",
  "reaction.removed",
  "member.joined",
  "member.left",
  "member.role_changed",
  "workspace.updated",
  "project.created",
  "project.updated",
  "project.deleted",
];

const wanted = new Map<string, { room: Room; count: number }>();

async function join(socket: Socket, room: Room) {
  try {
    const ack = (await socket.timeout(5000).emitWithAck("join", room)) as { ok: boolean; viewers?: string[] };
    if (ack?.ok && ack.viewers) presence.set((p) => ({ ...p, [roomKey(room)]: ack.viewers! }));
  } catch {
    /* retried on the next connect */
  }
}

export function RealtimeProvider({ userId, children }: { userId: string | undefined; children: ReactNode }) {
  const qc = useQueryClient();
  const [socket, setSocket] = useState<Socket | null>(null);

  useEffect(() => {
    if (!userId) return;
    // Authenticated by the session cookie the handshake carries (same origin); no token in script reach.
    // WebSocket only: the server refuses long-polling, whose session would live in one of several API
    // processes behind the port with nothing to route each poll back to it (docs/REALTIME.md).
    const s = io({ path: "/socket.io", withCredentials: true, transports: ["websocket"] });
    let connectedBefore = false;
    connection.set("connecting");
    s.on("connect", () => {
      connection.set("online");
      for (const { room } of wanted.values()) void join(s, room);
    });
    s.on("disconnect", () => connection.set("offline"));
    s.on("connect_error", () => connection.set("offline"));
    s.on("resync", () => {
      // The first one arrives with the first connection, right after the page loaded its data.
      if (connectedBefore) void qc.invalidateQueries();
      connectedBefore = true;
    });
    for (const name of ENTITY_EVENTS) s.on(name, (ev: RealtimeEvent) => handleEntityEvent(qc, name, ev));
    s.on("notification", (ev: RealtimeEvent) => {
      notifications.add(ev);
      onReviewNotification(qc, ev, userId);
    });
    s.on("presence", (p: { kind: string; id: string; viewers: string[] }) =>
      presence.set((cur) => ({ ...cur, [`${p.kind}:${p.id}`]: p.viewers })),
    );
    s.on("xp.awarded", (d) => onXpAwarded(qc, d));
    s.on("level.up", (d) => onLevelUp(qc, d));
    s.on("achievement.unlocked", (d) => onAchievementUnlocked(qc, d, userId));
    s.on("leaderboard.changed", () => qc.invalidateQueries({ queryKey: ["leaderboard"] }));
    setSocket(s);
    return () => {
      s.removeAllListeners();
      s.disconnect();
      setSocket(null);
    };
  }, [qc, userId]);

  return <SocketContext.Provider value={socket}>{children}</SocketContext.Provider>;
}

/** Join a board or task room while mounted (re-joined after every reconnect). Returns its viewers. */
export function useRoom(room: Room | null): string[] {
  const socket = useContext(SocketContext);
  const key = room ? roomKey(room) : null;
  const roomRef = useRef(room);
  roomRef.current = room;
  useEffect(() => {
    if (!socket || !key || !roomRef.current) return;
    const r = roomRef.current;
    const entry = wanted.get(key);
    if (entry) entry.count += 1;
    else wanted.set(key, { room: r, count: 1 });
    if (socket.connected) void join(socket, r);
    return () => {
      const e = wanted.get(key);
      if (!e) return;
      e.count -= 1;
      if (e.count <= 0) {
        wanted.delete(key);
        socket.emit("leave", r);
      }
    };
  }, [socket, key]);
  const all = presence.use();
  return key ? (all[key] ?? []) : [];
}
