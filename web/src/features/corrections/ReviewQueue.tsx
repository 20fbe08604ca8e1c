import { Flag as FlagIcon } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import { ApiError, errorMessage } from "../../api/client";
import { Avatar, relativeTime } from "../../components/ui";
import { eventLabel } from "../gamification/XpToast";
import { useReviewQueue, type FlagStatus, type ReviewItem } from "./api";
import { ResolveDialog } from "./dialogs";

const signed = (n: number) => `${n > 0 ? "+" : ""}${n}`;

function QueueRow({ ws, item }: { ws: string; item: ReviewItem }) {
  const [resolving, setResolving] = useState<"dismiss" | "adjust" | null>(null);
  const a = item.award;
  const label = `${eventLabel(a.event_type, a.role)}${a.task_title ? `: ${a.task_title}` : ""}`;
  const current = a.corrected_xp ?? a.xp;
  return (
    <div className="ledger-row" data-testid="review-item" style={{ alignItems: "flex-start" }}>
      <Avatar id={a.user.id} name={a.user.name} size="sm" />
      <span style={{ flex: 1, minWidth: 0 }}>
        <span>
          <Link to={`/w/${ws}/members/${a.user.id}`}>
            <b>{a.user.name}</b>
          </Link>{" "}
          · {label}{" "}
          <span className="xp-amount" style={{ minWidth: 0 }}>
            {a.corrected_xp != null && <s className="muted">{signed(a.xp)}</s>} {signed(current)} XP
          </span>
        </span>
        <span className="small muted" style={{ display: "block" }}>
          Flagged by {item.flagged_by?.name ?? "a former member"} {relativeTime(item.created_at)}: “{item.reason}”
        </span>
        {item.status !== "open" && (
          <span className="small" style={{ display: "block" }}>
            {item.status === "adjusted" ? "Adjusted" : "Dismissed"} by {item.resolved_by?.name ?? "an admin"}: “{item.resolution}”
          </span>
        )}
      </span>
      {item.status === "open" && (
        <span className="row">
          <button className="btn sm" onClick={() => setResolving("dismiss")}>
            Dismiss
          </button>
          <button className="btn sm primary" onClick={() => setResolving("adjust")} disabled={a.xp <= 0}>
            Adjust…
          </button>
        </span>
      )}
      {resolving && <ResolveDialog flagId={item.id} label={label} original={a.xp} current={current} initial={resolving} open onOpenChange={(o) => !o && setResolving(null)} />}
    </div>
  );
}

/** The admins' queue of flagged awards: open ones to resolve, and what was decided. */
export function ReviewQueue({ ws }: { ws: string }) {
  const [status, setStatus] = useState<FlagStatus>("open");
  const queue = useReviewQueue(ws, status);
  const items = queue.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="review-h" data-testid="review-queue">
      <div className="panel-head">
        <FlagIcon size={16} aria-hidden />
        <h2 id="review-h">Review queue</h2>
        <span className="spacer" />
        <label className="sr-only" htmlFor="review-status">
          Show
        </label>
        <select id="review-status" className="select" style={{ width: 140, height: 30 }} value={status} onChange={(e) => setStatus(e.target.value as FlagStatus)}>
          <option value="open">Open</option>
          <option value="adjusted">Adjusted</option>
          <option value="dismissed">Dismissed</option>
        </select>
      </div>
      {queue.isPending ? (
        <p className="muted" style={{ padding: 16 }}>Loading…</p>
      ) : queue.isError ? (
        <p className="muted" style={{ padding: 16 }}>{queue.error instanceof ApiError && queue.error.status === 403 ? "Only admins review flagged awards." : errorMessage(queue.error)}</p>
      ) : items.length === 0 ? (
        <p className="muted" style={{ padding: 16 }}>{status === "open" ? "Nothing to review. Members can flag any award in a profile's XP history." : "None yet."}</p>
      ) : (
        items.map((item) => <QueueRow key={item.id} ws={ws} item={item} />)
      )}
    </section>
  );
}
