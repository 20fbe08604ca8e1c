import { Popover } from "radix-ui";
import { AtSign, Bell } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import { useMembers, useTask } from "../../api/queries";
import { Avatar, relativeTime } from "../../components/ui";
import { notifications, type AppNotification } from "./store";

function Item({ n, ws, onOpen }: { n: AppNotification; ws: string; onOpen: () => void }) {
  const members = useMembers(n.workspace_id ?? ws);
  const task = useTask(n.task_id ?? undefined);
  const actor = members.data?.find((m) => m.user_id === n.actor_id);
  const href = n.text && n.award_user_id ? `/w/${n.workspace_id ?? ws}/members/${n.award_user_id}` : n.project_id && n.task_id ? `/w/${n.workspace_id ?? ws}/p/${n.project_id}/board?task=${n.task_id}` : "#";
  return (
    <Link to={href} className={`notif ${n.read ? "" : "unread"}`} onClick={() => { notifications.markRead(n.id); onOpen(); }} data-testid="notification">
      {actor ? <Avatar id={actor.user_id} name={actor.name} size="sm" /> : <AtSign size={18} />}
      <span style={{ flex: 1, minWidth: 0 }}>
        <span>
          <b>{actor?.name ?? "Someone"}</b> {n.text ?? "mentioned you"}
          {!n.text && task.data ? <> on <b>{task.data.key}</b> {task.data.title}</> : null}
        </span>
        <span className="tiny muted" style={{ display: "block" }}>
          {relativeTime(n.at)}
        </span>
      </span>
    </Link>
  );
}

export function NotificationsBell({ ws }: { ws: string }) {
  const list = notifications.use();
  const [open, setOpen] = useState(false);
  const unread = list.filter((n) => !n.read).length;
  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger asChild>
        <button className="btn ghost icon bell" aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"} data-testid="bell">
          <Bell size={17} />
          {unread > 0 && (
            <span className="badge" data-testid="unread-count">
              {unread > 9 ? "9+" : unread}
            </span>
          )}
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content className="popover" sideOffset={8} align="end" aria-label="Notifications">
          <div className="panel-head">
            <h3>Notifications</h3>
            <span className="spacer" />
            {unread > 0 && (
              <button className="btn ghost sm" onClick={() => notifications.markRead()}>
                Mark all read
              </button>
            )}
          </div>
          <div style={{ maxHeight: 380, overflowY: "auto", padding: 6 }}>
            {list.length === 0 ? (
              <p className="muted small" style={{ padding: 18, textAlign: "center" }}>
                When someone @mentions you or reviews your XP, it shows up here instantly.
              </p>
            ) : (
              list.map((n) => <Item key={n.id} n={n} ws={ws} onOpen={() => setOpen(false)} />)
            )}
          </div>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
